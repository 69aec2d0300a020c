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
from sqlmodel import col

from adapters.sql.deadline import OperationTimer
from adapters.sql.errors import storage_errors
from adapters.sql.listing import list_statements
from adapters.sql.mapping import TASK_COLUMNS, row_values, to_task
from adapters.sql.tables import TaskRow
from adapters.sql.transaction import Transaction
from application.errors import DuplicateTaskId, StorageUnavailable
from application.ports import OwnerTaskCount, TaskStats
from application.queries import TaskQuery
from domain.task import Task

# The columns a bulk insert writes, in ``COPY`` order.
_COLUMNS = tuple(TaskRow.__table__.columns.keys())  # type: ignore[attr-defined]


# Statements are built once, with bound parameters: SQLAlchemy finds their compiled form
# without rebuilding and re-hashing a statement per call.
_TASKS: sa.Table = TaskRow.__table__  # type: ignore[attr-defined]
_THIS_TASK = sa.and_(
    _TASKS.c.user_id == sa.bindparam("owner"), _TASKS.c.id == sa.bindparam("task_id")
)
_AT_VERSION = _TASKS.c.version == sa.bindparam("expected_version")
_GET = sa.select(*TASK_COLUMNS).where(_THIS_TASK)
_INSERT = sa.insert(_TASKS)
_UPDATED_COLUMNS = (
    "title",
    "description",
    "completed",
    "due_date",
    "updated_at",
    "version",
    "title_key",
    "description_key",
)
_UPDATE = (
    sa.update(_TASKS)
    .where(_THIS_TASK, _AT_VERSION)
    .values({name: sa.bindparam(f"new_{name}") for name in _UPDATED_COLUMNS})
)
_DELETE = sa.delete(_TASKS).where(_THIS_TASK)
_DELETE_AT_VERSION = sa.delete(_TASKS).where(_THIS_TASK, _AT_VERSION)


class SqlTaskRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)

    async def _execute(
        self, statement: sa.Executable, parameters: dict[str, Any] | None = None
    ) -> sa.CursorResult[Any]:
        # Statements go straight to the unit of work's connection (and transaction): rows come
        # back as plain tuples, with no ORM identity map or instance state to build.
        connection = await self._transaction.connection()
        return await connection.execute(statement, parameters)

    @storage_errors
    async def add(self, task: Task) -> None:
        await self._execute(_INSERT, row_values(task))

    @storage_errors
    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        row = (await self._execute(_GET, {"owner": owner, "task_id": task_id})).first()
        return to_task(row) if row is not None else None

    @storage_errors
    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        rows: list[sa.Row[Any]] = []
        for page in list_statements(owner, query):
            parameters = {**page.parameters, "limit": query.limit - len(rows)}
            found = (await self._execute(page.statement, parameters)).all()
            if rows:
                # A second statement (undated tasks after dated ones) runs on a newer
                # snapshot: a task whose due date was just cleared must not appear twice.
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
            **{f"new_{name}": values[name] for name in _UPDATED_COLUMNS},
            "task_id": task.id,
            "owner": task.user_id,
            "expected_version": expected_version,
        }
        result = await self._execute(_UPDATE, parameters)
        return result.rowcount == 1

    @storage_errors
    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        parameters: dict[str, Any] = {"owner": owner, "task_id": task_id}
        if expected_version is None:
            result = await self._execute(_DELETE, parameters)
        else:
            parameters["expected_version"] = expected_version
            result = await self._execute(_DELETE_AT_VERSION, parameters)
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
            await connection.execute(sa.insert(TaskRow), [row_values(task) for task in tasks])
        except sa_exc.IntegrityError as error:
            if _is_duplicate_key(error.orig):
                raise DuplicateTaskId("a task with one of these ids already exists") from error
            raise

    @storage_errors
    async def owners_of(self, task_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, str]:
        if not task_ids:
            return {}
        statement = sa.select(col(TaskRow.id), col(TaskRow.user_id)).where(
            col(TaskRow.id).in_(list(task_ids))
        )
        connection = await self._transaction.connection()
        rows = (await connection.execute(statement)).all()
        return {task_id: owner for task_id, owner in rows}

    @storage_errors
    async def remove_all(self, owner: str) -> int:
        result = await self._execute(sa.delete(TaskRow).where(col(TaskRow.user_id) == owner))
        return result.rowcount

    @storage_errors
    async def stats(self, *, top: int) -> TaskStats:
        user_id = col(TaskRow.user_id)
        completed = sa.case((col(TaskRow.completed), 1), else_=0)
        totals = sa.select(
            sa.func.count(),
            sa.func.count(sa.distinct(user_id)),
            sa.func.coalesce(sa.func.sum(completed), 0),
        ).select_from(TaskRow)
        connection = await self._transaction.connection()
        tasks, owners, done = (await connection.execute(totals)).one()
        per_owner = sa.func.count().label("tasks")
        largest = (
            sa.select(user_id, per_owner)
            .group_by(user_id)
            .order_by(per_owner.desc(), user_id.asc())
            .limit(top)
        )
        rows = (await connection.execute(largest)).all() if top > 0 else []
        return TaskStats(
            owners=int(owners),
            tasks=int(tasks),
            completed=int(done),
            largest=[OwnerTaskCount(owner=owner, tasks=int(count)) for owner, count in rows],
        )


async def _copy_rows(connection: AsyncConnection, tasks: Sequence[Task]) -> None:
    raw = await connection.get_raw_connection()
    driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(str(TaskRow.__tablename__)),
        sql.SQL(", ").join(sql.Identifier(name) for name in _COLUMNS),
    )
    try:
        async with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for task in tasks:
                values = row_values(task)
                await copy.write_row([values[name] for name in _COLUMNS])
    except psycopg.errors.UniqueViolation as error:
        raise DuplicateTaskId("a task with one of these ids already exists") from error
    except psycopg.OperationalError as error:
        raise StorageUnavailable("the database is unavailable") from error
    except psycopg.Error as error:
        # The driver's own error, raised past SQLAlchemy: wrap it as SQLAlchemy would, so
        # callers see the same errors as from any other statement.
        raise sa_exc.DBAPIError.instance(
            statement.as_string(driver), None, error, psycopg.Error
        ) from error


def _is_duplicate_key(error: BaseException | None) -> bool:
    """A primary-key clash, as PostgreSQL (psycopg) or SQLite reports it."""
    if isinstance(error, psycopg.errors.UniqueViolation):
        return True
    return getattr(error, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_PRIMARYKEY",
        "SQLITE_CONSTRAINT_UNIQUE",
    )
