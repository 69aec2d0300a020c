"""Readiness: the database answers, and its schema is at the code's migration head."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.migrate import head_revision

logger = logging.getLogger(__name__)


class SqlHealthProbe:
    def __init__(self, engine: AsyncEngine, timeout_seconds: float = 3.0) -> None:
        self._engine = engine
        self._timeout = timeout_seconds
        self._head = head_revision()

    async def is_ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
                result = await connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                )
                revision = result.scalar_one_or_none()
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            logger.warning("readiness check failed: %s", type(error).__name__)
            return False
        if revision != self._head:
            logger.warning(
                "not ready: schema at %s, code expects %s (run `todo-admin db upgrade`)",
                revision,
                self._head,
            )
            return False
        return True
