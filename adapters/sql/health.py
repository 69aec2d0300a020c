"""Readiness: can the database answer a trivial query right now?"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.deadline import OperationTimer
from adapters.sql.engine import report_timeout

logger = logging.getLogger(__name__)


class SqlHealthProbe:
    def __init__(self, engine: AsyncEngine, timeout_seconds: float = 3.0) -> None:
        self._engine = engine
        self._timeout = timeout_seconds

    async def is_ready(self) -> bool:
        # The probe answers within the timeout even when the server hangs (see deadline.py).
        timer = OperationTimer(self._timeout, on_timeout=lambda: report_timeout(self._engine))
        try:
            await timer.run(self._select_one)
        except Exception as error:  # any failure means "not ready"; the reason goes to the log
            logger.warning("readiness check failed: %s", type(error).__name__)
            return False
        return True

    async def _select_one(self) -> None:
        async with self._engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
