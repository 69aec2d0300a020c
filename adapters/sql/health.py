"""Readiness: can the database answer a trivial query right now?"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)


class SqlHealthProbe:
    def __init__(self, engine: AsyncEngine, timeout_seconds: float = 3.0) -> None:
        self._engine = engine
        self._timeout = timeout_seconds

    async def is_ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
                await connection.execute(sa.text("SELECT 1"))
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            logger.warning("readiness check failed: %s", type(error).__name__)
            return False
        return True
