"""SQL unit of work: one pooled connection, one transaction, per ``async with``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.deadline import OperationTimer, in_background
from adapters.sql.engine import report_timeout
from adapters.sql.errors import is_unavailable, unavailable_as_storage_error
from adapters.sql.idempotency import SqlIdempotencyRepository
from adapters.sql.repository import SqlTaskRepository
from adapters.sql.secrets import SqlSecretRepository
from adapters.sql.transaction import ConnectionGate, Transaction
from application.errors import StorageUnavailable

logger = logging.getLogger(__name__)

# Seconds one database operation (a query, a commit, getting a connection) may take.
DEFAULT_OPERATION_TIMEOUT = 5.0


class SqlUnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT,
        gate: ConnectionGate | None = None,
        *,
        staged_writes: bool = False,
    ) -> None:
        """``staged_writes`` (on an autocommit engine): reads run at once, each on its own;
        writes are held until ``commit`` and sent together as one implicit transaction in
        one round trip (ADR 0028). A write's result is then provisional: ``commit`` raises
        the error of a write that found nothing to write. PostgreSQL only; elsewhere the
        unit of work is one transaction, begun on first use."""
        self._engine = engine
        self._gate = gate
        self._staged = staged_writes and engine.dialect.name == "postgresql"
        self._operation_timeout = operation_timeout
        self._transaction: Transaction | None = None
        self._timer = OperationTimer(None)

    async def __aenter__(self) -> Self:
        self._transaction = Transaction(self._engine, self._gate, staged=self._staged)
        self._timer = OperationTimer(
            self._operation_timeout, on_timeout=lambda: report_timeout(self._engine)
        )
        self.tasks = SqlTaskRepository(self._transaction, self._timer)
        self.idempotency = SqlIdempotencyRepository(self._transaction, self._timer)
        self.secrets = SqlSecretRepository(self._transaction, self._timer)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        if self._timer.unfinished is None:
            await self._close(transaction, failing=exc is not None)
            return
        self._abandon(transaction)
        if exc is None:
            raise StorageUnavailable("the database did not answer in time")

    async def _close(self, transaction: Transaction, *, failing: bool) -> None:
        """Return the connection to the pool, which rolls back anything not committed. If
        that fails the connection is gone with its transaction, and the pool discards it;
        the outage is reported unless an error (``failing``) is already on its way out."""
        try:
            await self._timer.run(transaction.close)
        except Exception as error:
            overran = self._timer.unfinished is not None
            if overran:
                self._abandon(transaction)
            if failing:
                return
            if overran or is_unavailable(error):
                raise StorageUnavailable("the database is unavailable") from error
            raise

    def _abandon(self, transaction: Transaction) -> None:
        """An operation overran and is still winding down on this transaction: never use it
        again here; drop its connection in the background once the operation has stopped."""
        assert self._timer.unfinished is not None
        transaction.let_go()
        in_background(_discard(transaction, self._timer.unfinished))

    async def commit(self) -> None:
        assert self._transaction is not None, "commit() outside 'async with'"
        async with unavailable_as_storage_error():
            await self._timer.run(self._transaction.commit)


async def _discard(transaction: Transaction, unfinished: asyncio.Task[object]) -> None:
    with contextlib.suppress(BaseException):
        async with asyncio.timeout(60):
            await unfinished
    try:
        async with asyncio.timeout(10):
            await transaction.invalidate()
    except Exception as error:
        logger.debug("discarding a timed-out transaction failed: %r", error)
