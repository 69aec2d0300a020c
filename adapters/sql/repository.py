"""SQLModel task repository. Every statement is scoped by owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from adapters.sql.errors import storage_errors
from adapters.sql.listing import list_statements
from adapters.sql.mapping import row_values, to_task
from adapters.sql.tables import TaskRow
from application.queries import TaskQuery
from domain.task import Task


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
        rows: list[TaskRow] = []
        for statement in list_statements(owner, query):
            rows += (await self._session.exec(statement.limit(query.limit - len(rows)))).all()
            if len(rows) >= query.limit:
                break
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
