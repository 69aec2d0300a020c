"""Keys shared by every process on the same database (the ``service_secrets`` table)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from adapters.cursor_sealing import KEY_BYTES
from adapters.sql.deadline import OperationTimer
from adapters.sql.errors import storage_errors
from adapters.sql.tables import SERVICE_SECRETS
from adapters.sql.transaction import Transaction

if TYPE_CHECKING:  # the unit of work builds this module's repository
    from adapters.sql.unit_of_work import SqlUnitOfWork

CURSOR_KEY = "cursor"

_GET = sa.select(SERVICE_SECRETS.c.secret).where(SERVICE_SECRETS.c.name == sa.bindparam("name"))
# Two processes finding no key at once each try to add theirs: one row wins, and both read
# it back.
_ADD_IF_MISSING = {
    "postgresql": postgresql.insert(SERVICE_SECRETS).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(SERVICE_SECRETS).on_conflict_do_nothing(),
}


class SqlSecretRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)

    @storage_errors
    async def get_or_add(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The secret called ``name``; if there is none yet, ``make()``'s is stored first."""
        row = (await self._transaction.execute(_GET, {"name": name})).first()
        if row is None:
            dialect = (await self._transaction.connection()).dialect.name
            values = {"name": name, "secret": make(), "created_at": datetime.now(UTC)}
            await self._transaction.execute(_ADD_IF_MISSING[dialect], values)
            row = (await self._transaction.execute(_GET, {"name": name})).one()
        return bytes(row[0])


class SqlCursorKeys:
    """The cursor key from the database: one statement (on the autocommit pool), once per
    process."""

    def __init__(self, unit_of_work: Callable[[], SqlUnitOfWork]) -> None:
        self._unit_of_work = unit_of_work

    async def cursor_key(self) -> bytes:
        async with self._unit_of_work() as uow:
            key = await uow.secrets.get_or_add(CURSOR_KEY, lambda: os.urandom(KEY_BYTES))
            await uow.commit()
        return key
