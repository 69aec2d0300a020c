"""Idempotency keys in the database, so retries are caught across processes and restarts."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlmodel import col, select

from adapters.sql.deadline import OperationTimer
from adapters.sql.errors import storage_errors
from adapters.sql.mapping import as_utc
from adapters.sql.tables import IdempotencyKeyRow
from adapters.sql.transaction import Transaction
from application.errors import IdempotencyKeyTaken
from application.ports import IdempotencyRecord
from domain.task import Task


class SqlIdempotencyRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)

    @storage_errors
    async def get(
        self, owner: str, key: str, *, created_after: datetime
    ) -> IdempotencyRecord | None:
        statement = select(IdempotencyKeyRow).where(
            col(IdempotencyKeyRow.user_id) == owner,
            col(IdempotencyKeyRow.key) == key,
            col(IdempotencyKeyRow.created_at) > as_utc(created_after),
        )
        connection = await self._transaction.connection()
        row = (await connection.execute(statement)).first()
        if row is None:
            return None
        return IdempotencyRecord(
            owner=row.user_id,
            key=row.key,
            fingerprint=row.fingerprint,
            task=_task_from_json(row.response),
            created_at=as_utc(row.created_at),
        )

    @storage_errors
    async def add(self, record: IdempotencyRecord) -> None:
        connection = await self._transaction.connection()
        statement = sa.insert(IdempotencyKeyRow).values(
            user_id=record.owner,
            key=record.key,
            fingerprint=record.fingerprint,
            task_id=record.task.id,
            response=_task_to_json(record.task),
            created_at=as_utc(record.created_at),
        )
        try:
            # A savepoint would hide nothing here: on PostgreSQL a concurrent insert of the
            # same key waits for the other transaction and then fails on the primary key.
            await connection.execute(statement)
        except sa_exc.IntegrityError as error:
            raise IdempotencyKeyTaken(record.key) from error

    @storage_errors
    async def remove_expired(self, owner: str, *, created_before: datetime) -> int:
        connection = await self._transaction.connection()
        result = await connection.execute(
            sa.delete(IdempotencyKeyRow).where(
                col(IdempotencyKeyRow.user_id) == owner,
                col(IdempotencyKeyRow.created_at) < as_utc(created_before),
            )
        )
        return result.rowcount

    @storage_errors
    async def remove_all(self, owner: str) -> int:
        connection = await self._transaction.connection()
        result = await connection.execute(
            sa.delete(IdempotencyKeyRow).where(col(IdempotencyKeyRow.user_id) == owner)
        )
        return result.rowcount


def _task_to_json(task: Task) -> str:
    return json.dumps(
        {
            "id": str(task.id),
            "user_id": task.user_id,
            "title": task.title,
            "description": task.description,
            "completed": task.completed,
            "due_date": task.due_date.isoformat() if task.due_date else None,
            "created_at": as_utc(task.created_at).isoformat(),
            "updated_at": as_utc(task.updated_at).isoformat(),
            "version": task.version,
        },
        ensure_ascii=False,
    )


def _task_from_json(text: str) -> Task:
    data: dict[str, Any] = json.loads(text)
    return Task(
        id=uuid.UUID(data["id"]),
        user_id=data["user_id"],
        title=data["title"],
        description=data["description"],
        completed=data["completed"],
        due_date=date.fromisoformat(data["due_date"]) if data["due_date"] else None,
        created_at=datetime.fromisoformat(data["created_at"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        version=data["version"],
    )
