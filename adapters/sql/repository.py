"""SQLModel task repository. Every statement is scoped by owner."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

import psycopg
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from psycopg import sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.deadline import OperationTimer
from adapters.sql.engine import dump_json_column
from adapters.sql.errors import storage_errors
from adapters.sql.listing import list_statements
from adapters.sql.mapping import (
    TASK_COLUMNS,
    UPDATABLE_COLUMNS,
    row_values,
    tag_rows,
    to_task,
)
from adapters.sql.tables import TASK_TAGS, TASKS
from adapters.sql.transaction import StagedWrite, Transaction, driver_of
from application.errors import (
    ConcurrentUpdate,
    DuplicateTaskId,
    StorageUnavailable,
    TaskQuotaExceeded,
)
from application.ports import OwnerTaskCount, TagCount, TaskStats, TaskSummary
from application.queries import TaskQuery
from domain.fields import Priority
from domain.task import Task

# Statements are built once, with bound parameters: SQLAlchemy finds their compiled form
# without rebuilding and re-hashing a statement per call.
_OWNED = TASKS.c.user_id == sa.bindparam("owner")
_AMONG = TASKS.c.id.in_(sa.bindparam("task_ids", expanding=True))
_THIS_TASK = sa.and_(_OWNED, TASKS.c.id == sa.bindparam("task_id"))
_AT_VERSION = TASKS.c.version == sa.bindparam("expected_version")
_GET = sa.select(*TASK_COLUMNS).where(_THIS_TASK)
_INSERT = sa.insert(TASKS)
_COUNT = sa.select(sa.func.count()).select_from(TASKS).where(_OWNED)
# A create within the owner's quota: the count (an index-only range of the owner's
# ix_tasks_user_created entries) is part of the insert, so it costs no extra round trip.
# Concurrent creates of one owner each count before the others commit: together they may
# pass the quota by at most their number minus one (docs/operations.md, "Limits"). The id
# comes back when the row was written (an INSERT … SELECT's rowcount is not reported by
# every driver).
_INSERT_WITHIN_QUOTA = (
    sa.insert(TASKS)
    .from_select(
        [column.name for column in TASKS.c],
        sa.select(*(sa.bindparam(column.name, type_=column.type) for column in TASKS.c)).where(
            _COUNT.scalar_subquery() < sa.bindparam("max_tasks", type_=sa.Integer())
        ),
    )
    .returning(TASKS.c.id)
)
_UPDATE = (
    sa.update(TASKS)
    .where(_THIS_TASK, _AT_VERSION)
    .values({name: sa.bindparam(f"new_{name}") for name in UPDATABLE_COLUMNS})
)
_DELETE = sa.delete(TASKS).where(_THIS_TASK)
_DELETE_AT_VERSION = sa.delete(TASKS).where(_THIS_TASK, _AT_VERSION)
_DELETE_ALL = sa.delete(TASKS).where(_OWNED)
# Staged writes that must find their row say so by returning it (transaction.py).
_UPDATE_FOUND = _UPDATE.returning(TASKS.c.id)
_DELETE_FOUND = _DELETE.returning(TASKS.c.id)
_DELETE_AT_VERSION_FOUND = _DELETE_AT_VERSION.returning(TASKS.c.id)
# A list of ids as one array parameter: a staged statement is compiled once, for any number.
_DELETE_MANY_FOUND = (
    sa.delete(TASKS)
    .where(_OWNED, TASKS.c.id == sa.any_(sa.bindparam("task_ids", type_=ARRAY(sa.Uuid()))))
    .returning(TASKS.c.id)
)
_OWNERS_OF = sa.select(TASKS.c.id, TASKS.c.user_id).where(_AMONG)


def _count_where(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """How many rows meet all the conditions (0 when none do)."""
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)


_TOTALS = sa.select(
    sa.func.count(),
    sa.func.count(sa.distinct(TASKS.c.user_id)),
    _count_where(TASKS.c.completed.is_(True)),
).select_from(TASKS)
_PER_OWNER = sa.func.count().label("tasks")
_LARGEST = (
    sa.select(TASKS.c.user_id, _PER_OWNER)
    .group_by(TASKS.c.user_id)
    .order_by(_PER_OWNER.desc(), TASKS.c.user_id.asc())
    .limit(sa.bindparam("top", type_=sa.Integer()))
)
_GET_MANY = sa.select(*TASK_COLUMNS).where(_OWNED, _AMONG)
_DELETE_MANY = sa.delete(TASKS).where(_OWNED, _AMONG)
_DELETE_COMPLETED = sa.delete(TASKS).where(_OWNED, TASKS.c.completed.is_(True))
_INSERT_TAGS = sa.insert(TASK_TAGS)
_DELETE_TAGS = sa.delete(TASK_TAGS).where(TASK_TAGS.c.task_id == sa.bindparam("task_id"))


_PENDING = TASKS.c.completed.is_(False)
_TODAY = sa.bindparam("today", type_=sa.Date())
_SUMMARY = sa.select(
    sa.func.count(),
    _count_where(_PENDING),
    _count_where(_PENDING, TASKS.c.due_date < _TODAY),
    _count_where(_PENDING, TASKS.c.due_date == _TODAY),
    *(_count_where(_PENDING, TASKS.c.priority == p.rank) for p in Priority),
).where(_OWNED)
_FIRST_SEEN = TASK_TAGS.alias("first_seen")
_TAG_COUNTS = (
    sa.select(
        sa.select(_FIRST_SEEN.c.name)
        .where(
            _FIRST_SEEN.c.user_id == TASK_TAGS.c.user_id,
            _FIRST_SEEN.c.name_key == TASK_TAGS.c.name_key,
        )
        .order_by(_FIRST_SEEN.c.created_at, _FIRST_SEEN.c.task_id)
        .limit(1)
        .scalar_subquery(),
        sa.func.count(),
    )
    .where(TASK_TAGS.c.user_id == sa.bindparam("owner"))
    .group_by(TASK_TAGS.c.user_id, TASK_TAGS.c.name_key)
    .order_by(TASK_TAGS.c.name_key)
)


# ``COPY`` writes every column, in the table's order.
def _copy_into(table: sa.Table) -> sql.Composed:
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.c)
    return sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), columns)


_COPY_TASKS = _copy_into(TASKS)
_COPY_TAGS = _copy_into(TASK_TAGS)
# JSON columns go to COPY as JSON text.
_JSON_COLUMNS = frozenset(c.name for c in TASKS.c if isinstance(c.type, sa.JSON))


class SqlTaskRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)
        # The tags each task had when this unit of work read it: an update rewrites a
        # task's tag rows only when its tags changed.
        self._tags_read: dict[uuid.UUID, tuple[str, ...]] = {}

    def _read(self, row: Sequence[Any]) -> Task:
        task = to_task(row)
        self._tags_read[task.id] = task.tags
        return task

    @storage_errors
    async def add(self, task: Task) -> None:
        if self._transaction.staged:
            self._transaction.stage(StagedWrite(_INSERT, row_values(task)))
            self._stage_tags(task)
            return
        await self._transaction.execute(_INSERT, row_values(task))
        await self._insert_tags([task])

    @storage_errors
    async def add_within(self, task: Task, *, max_tasks: int) -> bool:
        """Staged: ``True`` for now; the commit raises ``TaskQuotaExceeded`` instead."""
        parameters = {**row_values(task), "owner": task.user_id, "max_tasks": max_tasks}
        if self._transaction.staged:
            owner = task.user_id

            def over_quota() -> Exception:
                return TaskQuotaExceeded(owner, max_tasks)

            self._transaction.stage(StagedWrite(_INSERT_WITHIN_QUOTA, parameters, over_quota))
            self._stage_tags(task)
            return True
        if (await self._transaction.execute(_INSERT_WITHIN_QUOTA, parameters)).first() is None:
            return False
        await self._insert_tags([task])
        return True

    def _stage_tags(self, task: Task, *, replacing: bool = False) -> None:
        if replacing:
            self._transaction.stage(StagedWrite(_DELETE_TAGS, {"task_id": task.id}))
        for row in tag_rows(task):
            self._transaction.stage(StagedWrite(_INSERT_TAGS, row))

    @storage_errors
    async def count(self, owner: str) -> int:
        return int((await self._transaction.execute(_COUNT, {"owner": owner})).scalar_one())

    async def _insert_tags(self, tasks: Sequence[Task]) -> None:
        rows = [row for task in tasks for row in tag_rows(task)]
        if rows:
            await self._transaction.execute(_INSERT_TAGS, rows)

    @storage_errors
    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        result = await self._transaction.execute(_GET, {"owner": owner, "task_id": task_id})
        row = result.first()
        return self._read(row) if row is not None else None

    @storage_errors
    async def get_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> Sequence[Task]:
        parameters = {"owner": owner, "task_ids": list(task_ids)}
        return [self._read(row) for row in await self._transaction.execute(_GET_MANY, parameters)]

    @storage_errors
    async def remove_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> int:
        parameters = {"owner": owner, "task_ids": list(task_ids)}
        if self._transaction.staged:
            # All of them for now; the commit raises ``ConcurrentUpdate`` if any was gone.
            def gone() -> Exception:
                return ConcurrentUpdate("a task of the batch is gone")

            expected = len(set(task_ids))
            write = StagedWrite(_DELETE_MANY_FOUND, parameters, gone, rows=expected)
            self._transaction.stage(write)
            return expected
        return (await self._transaction.execute(_DELETE_MANY, parameters)).rowcount

    @storage_errors
    async def remove_completed(self, owner: str) -> int:
        return (await self._transaction.execute(_DELETE_COMPLETED, {"owner": owner})).rowcount

    @storage_errors
    async def summary(self, owner: str, *, today: date) -> TaskSummary:
        row = (await self._transaction.execute(_SUMMARY, {"owner": owner, "today": today})).one()
        total, pending, overdue, due_today, *by_rank = (int(value) for value in row)
        return TaskSummary(
            total=total,
            pending=pending,
            completed=total - pending,
            overdue=overdue,
            due_today=due_today,
            by_priority=dict(zip(Priority, by_rank, strict=True)),
        )

    @storage_errors
    async def tag_counts(self, owner: str) -> Sequence[TagCount]:
        result = await self._transaction.execute(_TAG_COUNTS, {"owner": owner})
        return [TagCount(name=name, count=int(count)) for name, count in result]

    @storage_errors
    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        rows: list[Sequence[Any]] = []
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
        if self._transaction.staged:
            # ``True`` for now; the commit raises ``ConcurrentUpdate`` if the task is gone
            # or at another version.
            task_id = task.id

            def stale() -> Exception:
                return ConcurrentUpdate(f"task {task_id} changed or is gone")

            self._transaction.stage(StagedWrite(_UPDATE_FOUND, parameters, stale))
            if self._tags_read.get(task.id) != task.tags:
                self._stage_tags(task, replacing=True)
                self._tags_read[task.id] = task.tags
            return True
        result = await self._transaction.execute(_UPDATE, parameters)
        if result.rowcount != 1:
            return False
        if self._tags_read.get(task.id) != task.tags:
            await self._transaction.execute(_DELETE_TAGS, {"task_id": task.id})
            await self._insert_tags([task])
            self._tags_read[task.id] = task.tags
        return True

    @storage_errors
    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        parameters: dict[str, Any] = {"owner": owner, "task_id": task_id}
        statement = _DELETE
        if expected_version is not None:
            parameters["expected_version"] = expected_version
            statement = _DELETE_AT_VERSION
        if self._transaction.staged:
            # ``True`` for now; the commit raises ``ConcurrentUpdate`` if there was no such
            # task at that version.
            def missing() -> Exception:
                return ConcurrentUpdate(f"task {task_id} is gone or at another version")

            found = _DELETE_AT_VERSION_FOUND if expected_version is not None else _DELETE_FOUND
            self._transaction.stage(StagedWrite(found, parameters, missing))
            return True
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
        await self._insert_tags(tasks)

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
    driver = await driver_of(connection)
    try:
        async with driver.cursor() as cursor:
            async with cursor.copy(_COPY_TASKS) as copy:
                for task in tasks:
                    await copy.write_row(_copy_values(row_values(task)))
            async with cursor.copy(_COPY_TAGS) as copy:
                for task in tasks:
                    for row in tag_rows(task):
                        await copy.write_row(list(row.values()))
    except psycopg.errors.UniqueViolation as error:
        raise DuplicateTaskId("a task with one of these ids already exists") from error
    except psycopg.OperationalError as error:
        raise StorageUnavailable("the database is unavailable") from error
    except psycopg.Error as error:
        # The driver's own error, raised past SQLAlchemy: wrap it as SQLAlchemy would, so
        # callers see the same errors as from any other statement.
        raise sa_exc.DBAPIError.instance(
            _COPY_TASKS.as_string(driver), None, error, psycopg.Error
        ) from error


def _copy_values(values: dict[str, Any]) -> list[Any]:
    return [
        dump_json_column(v) if name in _JSON_COLUMNS and v is not None else v
        for name, v in values.items()
    ]


def _is_duplicate_key(error: BaseException | None) -> bool:
    """A primary-key clash, as PostgreSQL (psycopg) or SQLite reports it."""
    if isinstance(error, psycopg.errors.UniqueViolation):
        return True
    return getattr(error, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_PRIMARYKEY",
        "SQLITE_CONSTRAINT_UNIQUE",
    )
