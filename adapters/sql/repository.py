"""SQLModel task repository. Every statement is scoped by owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.ordering import search_key, title_sort_key
from adapters.sql.errors import storage_errors
from adapters.sql.mapping import as_utc, row_values, to_task
from adapters.sql.tables import TaskRow
from application.queries import SortField, SortOrder, StatusFilter, TaskPosition, TaskQuery
from domain.task import Task

_SORT_COLUMNS: dict[SortField, Any] = {
    SortField.CREATED: TaskRow.__table__.c.created_at,  # type: ignore[attr-defined]
    SortField.UPDATED: TaskRow.__table__.c.updated_at,  # type: ignore[attr-defined]
    SortField.TITLE: TaskRow.__table__.c.title_key,  # type: ignore[attr-defined]
    SortField.DUE_DATE: TaskRow.__table__.c.due_date,  # type: ignore[attr-defined]
}


class SqlTaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _execute(self, statement: sa.Executable) -> sa.CursorResult[Any]:
        # Writes go straight to the session's connection (and transaction): no ORM state.
        connection = await self._session.connection()
        return await connection.execute(statement)

    @storage_errors
    async def add(self, task: Task) -> None:
        await self._execute(sa.insert(TaskRow).values(**row_values(task)))

    @storage_errors
    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        statement = select(TaskRow).where(col(TaskRow.user_id) == owner, col(TaskRow.id) == task_id)
        row = (await self._session.exec(statement)).first()
        return to_task(row) if row is not None else None

    @storage_errors
    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        statement = select(TaskRow).where(col(TaskRow.user_id) == owner)
        if query.status is StatusFilter.PENDING:
            statement = statement.where(col(TaskRow.completed).is_(False))
        elif query.status is StatusFilter.COMPLETED:
            statement = statement.where(col(TaskRow.completed).is_(True))
        term = query.search_term
        if term is not None:
            needle = search_key(term)
            statement = statement.where(
                sa.or_(
                    _contains(col(TaskRow.title_key), needle),
                    _contains(col(TaskRow.description_key), needle),
                )
            )
        column = _SORT_COLUMNS[query.sort]
        descending = query.direction is SortOrder.DESC
        if query.after is not None:
            statement = statement.where(_after(column, query, query.after, descending))
        id_column = col(TaskRow.id)
        if query.sort is SortField.DUE_DATE:
            # Nulls last in both orders.
            statement = statement.order_by(column.is_(None))
        statement = statement.order_by(
            column.desc() if descending else column.asc(),
            id_column.desc() if descending else id_column.asc(),
        ).limit(query.limit)
        rows = (await self._session.exec(statement)).all()
        return [to_task(row) for row in rows]

    @storage_errors
    async def update(self, task: Task, *, expected_version: int) -> bool:
        values = row_values(task)
        del values["id"], values["user_id"], values["created_at"]
        statement = (
            sa.update(TaskRow)
            .where(
                col(TaskRow.id) == task.id,
                col(TaskRow.user_id) == task.user_id,
                col(TaskRow.version) == expected_version,
            )
            .values(**values)
        )
        result = await self._execute(statement)
        return result.rowcount == 1

    @storage_errors
    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        statement = sa.delete(TaskRow).where(
            col(TaskRow.user_id) == owner, col(TaskRow.id) == task_id
        )
        if expected_version is not None:
            statement = statement.where(col(TaskRow.version) == expected_version)
        result = await self._execute(statement)
        return result.rowcount == 1


def _contains(column: Any, needle: str) -> Any:
    # autoescape makes '%', '_' and the escape character literal in the LIKE pattern.
    return column.contains(needle, autoescape=True)


def _after(column: Any, query: TaskQuery, position: TaskPosition, descending: bool) -> Any:
    """Rows strictly after ``position`` in the query's order (keyset pagination)."""
    id_column = col(TaskRow.id)
    value = position.value
    if query.sort is SortField.TITLE and isinstance(value, str):
        value = title_sort_key(value)
    elif query.sort in (SortField.CREATED, SortField.UPDATED) and value is not None:
        value = as_utc(value)  # type: ignore[arg-type]

    def beyond(left: Any, right: Any) -> Any:
        return left < right if descending else left > right

    if query.sort is SortField.DUE_DATE:
        if value is None:  # already among the nulls, which come last
            return sa.and_(column.is_(None), beyond(id_column, position.task_id))
        return sa.or_(
            column.is_(None),
            beyond(column, value),
            sa.and_(column == value, beyond(id_column, position.task_id)),
        )
    return sa.or_(
        beyond(column, value),
        sa.and_(column == value, beyond(id_column, position.task_id)),
    )
