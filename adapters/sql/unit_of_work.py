"""SQLModel unit of work: one AsyncSession, one transaction, per ``async with``."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.sql.errors import is_unavailable, unavailable_as_storage_error
from adapters.sql.idempotency import SqlIdempotencyRepository
from adapters.sql.repository import SqlTaskRepository
from application.errors import StorageUnavailable


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._session = AsyncSession(self._engine, expire_on_commit=False)
        self.tasks = SqlTaskRepository(self._session)
        self.idempotency = SqlIdempotencyRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()
            await session.close()
        except Exception as error:
            # The session is gone with its connection; the pool discards it. Report the
            # outage unless an error is already on its way out.
            if exc is None and is_unavailable(error):
                raise StorageUnavailable("the database is unavailable") from error
            if exc is None:
                raise

    async def commit(self) -> None:
        assert self._session is not None, "commit() outside 'async with'"
        async with unavailable_as_storage_error():
            await self._session.commit()
