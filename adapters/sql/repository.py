"""SQLModel task repository. Every statement is scoped by owner."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.deadline import OperationTimer
from adapters.sql.errors import storage_errors
from adapters.sql.listing import list_statements
from adapters.sql.mapping import TASK_COLUMNS, UPDATABLE_COLUMNS, row_values, to_task
from adapters.sql.tables import TASKS
from adapters.sql.transaction import Transaction
from application.errors import DuplicateTaskId, StorageUnavailable
from application.ports import OwnerTaskCount, TaskStats
from application.queries import TaskQuery
from domain.task import Task

# Statements are built once, with bound parameters: SQLAlchemy finds their compiled form
# without rebuilding and re-hashing a statement per call.
_THIS_TASK = sa.and_(
    TASKS.c.user_id == sa.bindparam("owner"), TASKS.c.id == sa.bindparam("task_id")
)
_AT_VERSION = TASKS.c.version == sa.bindparam("expected_version")
_GET = sa.select(*TASK_COLUMNS).where(_THIS_TASK)
_INSERT = sa.insert(TASKS)
_UPDATE = (
    sa.update(TASKS)
    .where(_THIS_TASK, _AT_VERSION)
    .values({name: sa.bindparam(f"new_{name}") for name in UPDATABLE_COLUMNS})
)
_DELETE = sa.delete(TASKS).where(_THIS_TASK)
_DELETE_AT_VERSION = sa.delete(TASKS).where(_THIS_TASK, _AT_VERSION)
_DELETE_ALL = sa.delete(TASKS).where(TASKS.c.user_id == sa.bindparam("owner"))
_OWNERS_OF = sa.select(TASKS.c.id, TASKS.c.user_id).where(
    TASKS.c.id.in_(sa.bindparam("task_ids", expanding=True))
)
_COMPLETED_AS_ONE = sa.case((TASKS.c.completed, 1), else_=0)
_TOTALS = sa.select(
    sa.func.count(),
    sa.func.count(sa.distinct(TASKS.c.user_id)),
    sa.func.coalesce(sa.func.sum(_COMPLETED_AS_ONE), 0),
).select_from(TASKS)
_PER_OWNER = sa.func.count().label("tasks")
_LARGEST = (
    sa.select(TASKS.c.user_id, _PER_OWNER)
    .group_by(TASKS.c.user_id)
    .order_by(_PER_OWNER.desc(), TASKS.c.user_id.asc())
    .limit(sa.bindparam("top", type_=sa.Integer()))
)
# ``COPY`` writes every column, in the table's order.
_COPY = sql.SQL("COPY {} ({}) FROM STDIN").format(
    sql.Identifier(TASKS.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in TASKS.c)
)


class SqlTaskRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)

    @storage_errors
    async def add(self, task: Task) -> None:
        await self._transaction.execute(_INSERT, row_values(task))

    @storage_errors
    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        result = await self._transaction.execute(_GET, {"owner": owner, "task_id": task_id})
        row = result.first()
        return to_task(row) if row is not None else None

    @storage_errors
    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        rows: list[sa.Row[*tuple[Any, ...]]] = []
        for page in list_statements(owner, query):
            parameters = {**page.parameters, "limit": query.limit - len(rows)}
            found = (await self._transaction.execute(page.statement, parameters)).all()
            if rows:
                # A second statement (the tasks without a value, after those with one) runs
                # on a newer snapshot: a task whose value was just cleared must not appear
                # twice.
                seen = {row[0] for row in rows}
                found = [row for row in found if row[0] not in seen]
            rows += found
            if len(rows) >= query.limit:
                break
        return [to_task(row) for row in rows]

    @storage_errors
    async def update(self, task: Task, *, expected_version: int) -> bool:
        values = row_values(task)
        parameters = {
            **{f"new_{name}": values[name] for name in UPDATABLE_COLUMNS},
            "task_id": task.id,
            "owner": task.user_id,
            "expected_version": expected_version,
        }
        result = await self._transaction.execute(_UPDATE, parameters)
        return result.rowcount == 1

    @storage_errors
    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        parameters: dict[str, Any] = {"owner": owner, "task_id": task_id}
        statement = _DELETE
        if expected_version is not None:
            parameters["expected_version"] = expected_version
            statement = _DELETE_AT_VERSION
        result = await self._transaction.execute(statement, parameters)
        return result.rowcount == 1

    @storage_errors
    async def add_many(self, tasks: Sequence[Task]) -> None:
        """One batch: ``COPY … FROM STDIN`` on PostgreSQL (the fastest bulk load, inside
        the unit of work's transaction), a multi-row ``INSERT`` elsewhere."""
        if not tasks:
            return
        connection = await self._transaction.connection()
        if connection.dialect.name == "postgresql":
            await _copy_rows(connection, tasks)
            return
        try:
            await self._transaction.execute(_INSERT, [row_values(task) for task in tasks])
        except sa_exc.IntegrityError as error:
            if _is_duplicate_key(error.orig):
                raise DuplicateTaskId("a task with one of these ids already exists") from error
            raise

    @storage_errors
    async def owners_of(self, task_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, str]:
        if not task_ids:
            return {}
        result = await self._transaction.execute(_OWNERS_OF, {"task_ids": list(task_ids)})
        return {task_id: owner for task_id, owner in result}

    @storage_errors
    async def remove_all(self, owner: str) -> int:
        result = await self._transaction.execute(_DELETE_ALL, {"owner": owner})
        return result.rowcount

    @storage_errors
    async def stats(self, *, top: int) -> TaskStats:
        tasks, owners, done = (await self._transaction.execute(_TOTALS)).one()
        largest: list[OwnerTaskCount] = []
        if top > 0:
            result = await self._transaction.execute(_LARGEST, {"top": top})
            largest = [OwnerTaskCount(owner=owner, tasks=int(count)) for owner, count in result]
        return TaskStats(owners=int(owners), tasks=int(tasks), completed=int(done), largest=largest)


async def _copy_rows(connection: AsyncConnection, tasks: Sequence[Task]) -> None:
    raw = await connection.get_raw_connection()
    driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    try:
        async with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
            for task in tasks:
                await copy.write_row(list(row_values(task).values()))
    except psycopg.errors.UniqueViolation as error:
        raise DuplicateTaskId("a task with one of these ids already exists") from error
    except psycopg.OperationalError as error:
        raise StorageUnavailable("the database is unavailable") from error
    except psycopg.Error as error:
        # The driver's own error, raised past SQLAlchemy: wrap it as SQLAlchemy would, so
        # callers see the same errors as from any other statement.
        raise sa_exc.DBAPIError.instance(
            _COPY.as_string(driver), None, error, psycopg.Error
        ) from error


def _is_duplicate_key(error: BaseException | None) -> bool:
    """A primary-key clash, as PostgreSQL (psycopg) or SQLite reports it."""
    if isinstance(error, psycopg.errors.UniqueViolation):
        return True
    return getattr(error, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_PRIMARYKEY",
        "SQLITE_CONSTRAINT_UNIQUE",
    )
