"""Readiness: can the database serve this code right now — reachable, and migrated to this
code's schema revision (or a later one, during a rolling deploy)?"""

from __future__ import annotations

import logging
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.deadline import OperationTimer
from adapters.sql.engine import report_timeout
from adapters.sql.errors import is_schema_problem
from application.errors import SchemaNotReady, StorageUnavailable

logger = logging.getLogger(__name__)

_VERSION = sa.text("SELECT version_num FROM alembic_version")


class SqlHealthProbe:
    """``behind`` are the revisions older than this code's (its head's ancestors): a database
    at one of them, or with no revision, is not ready. A revision this code does not know is
    a newer one (migrated ahead of this process's replacement), which it can still serve."""

    def __init__(
        self, engine: AsyncEngine, behind: Collection[str], timeout_seconds: float = 3.0
    ) -> None:
        self._engine = engine
        self._behind = frozenset(behind)
        self._timeout = timeout_seconds

    async def check_ready(self) -> None:
        # The probe answers within the timeout even when the server hangs (see deadline.py).
        timer = OperationTimer(self._timeout, on_timeout=lambda: report_timeout(self._engine))
        try:
            revision = await timer.run(self._revision)
        except Exception as error:
            if is_schema_problem(error):
                raise SchemaNotReady("the database has no schema") from error
            # Any other failure means "not reachable"; the reason goes to the log.
            logger.warning("readiness check failed: %s", type(error).__name__)
            raise StorageUnavailable("readiness check failed") from error
        if revision is None or revision in self._behind:
            raise SchemaNotReady(f"the database schema is at revision {revision or 'none'}")

    async def _revision(self) -> str | None:
        async with self._engine.connect() as connection:
            value = (await connection.execute(_VERSION)).scalar()
        return None if value is None else str(value)
