"""Idempotency keys in the database, so retries are caught across processes and restarts."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from adapters.sql.deadline import OperationTimer
from adapters.sql.errors import storage_errors
from adapters.sql.mapping import as_utc
from adapters.sql.tables import IDEMPOTENCY_KEYS
from adapters.sql.transaction import StagedWrite, Transaction
from application.errors import IdempotencyKeyTaken
from application.ports import IdempotencyRecord
from application.task_document import json_value, read_task, task_record

_OWNER = IDEMPOTENCY_KEYS.c.user_id == sa.bindparam("owner")
_GET = sa.select(
    IDEMPOTENCY_KEYS.c.fingerprint, IDEMPOTENCY_KEYS.c.response, IDEMPOTENCY_KEYS.c.created_at
).where(
    _OWNER,
    IDEMPOTENCY_KEYS.c.key == sa.bindparam("key"),
    IDEMPOTENCY_KEYS.c.created_at > sa.bindparam("created_after"),
)
_INSERT = sa.insert(IDEMPOTENCY_KEYS)
_MADE_BEFORE = IDEMPOTENCY_KEYS.c.created_at < sa.bindparam("created_before")
_RELEASE_EXPIRED = sa.delete(IDEMPOTENCY_KEYS).where(
    _OWNER, IDEMPOTENCY_KEYS.c.key == sa.bindparam("key"), _MADE_BEFORE
)
# The sweep: the oldest expired records of any owner (the created_at index), a bounded batch.
_OLDEST_EXPIRED = (
    sa.select(IDEMPOTENCY_KEYS.c.user_id, IDEMPOTENCY_KEYS.c.key)
    .where(_MADE_BEFORE)
    .order_by(IDEMPOTENCY_KEYS.c.created_at)
    .limit(sa.bindparam("limit", type_=sa.Integer()))
)
_DELETE_EXPIRED = sa.delete(IDEMPOTENCY_KEYS).where(
    sa.tuple_(IDEMPOTENCY_KEYS.c.user_id, IDEMPOTENCY_KEYS.c.key).in_(_OLDEST_EXPIRED)
)
_DELETE_ALL = sa.delete(IDEMPOTENCY_KEYS).where(_OWNER)


class SqlIdempotencyRepository:
    def __init__(self, transaction: Transaction, timer: OperationTimer | None = None) -> None:
        self._transaction = transaction
        self._timer = timer or OperationTimer(None)

    @storage_errors
    async def get(
        self, owner: str, key: str, *, created_after: datetime
    ) -> IdempotencyRecord | None:
        parameters = {"owner": owner, "key": key, "created_after": as_utc(created_after)}
        row = (await self._transaction.execute(_GET, parameters)).first()
        if row is None:
            return None
        fingerprint, response, created_at = row
        return IdempotencyRecord(
            owner=owner,
            key=key,
            fingerprint=fingerprint,
            # NULL: the task was deleted since (the trigger of migration 0004).
            task=read_task(_stored_record(response), owner=owner) if response else None,
            created_at=as_utc(created_at),
        )

    @storage_errors
    async def add(self, record: IdempotencyRecord) -> None:
        assert record.task is not None, "a new record carries the task it created"
        values = {
            "user_id": record.owner,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "task_id": record.task.id,
            "response": json.dumps(task_record(record.task), default=json_value),
            "created_at": as_utc(record.created_at),
        }
        if self._transaction.staged:
            key = record.key

            def taken() -> Exception:
                return IdempotencyKeyTaken(key)

            self._transaction.stage(StagedWrite(_INSERT, values, if_duplicate=taken))
            return
        try:
            # A savepoint would hide nothing here: on PostgreSQL a concurrent insert of the
            # same key waits for the other transaction and then fails on the primary key.
            await self._transaction.execute(_INSERT, values)
        except sa_exc.IntegrityError as error:
            raise IdempotencyKeyTaken(record.key) from error

    @storage_errors
    async def release_expired(self, owner: str, key: str, *, created_before: datetime) -> bool:
        parameters = {"owner": owner, "key": key, "created_before": as_utc(created_before)}
        if self._transaction.staged:
            # Sent with the writes that follow it; whether a record was there is not needed.
            self._transaction.stage(StagedWrite(_RELEASE_EXPIRED, parameters))
            return True
        return (await self._transaction.execute(_RELEASE_EXPIRED, parameters)).rowcount == 1

    @storage_errors
    async def remove_expired(self, *, created_before: datetime, limit: int) -> int:
        parameters = {"created_before": as_utc(created_before), "limit": limit}
        return (await self._transaction.execute(_DELETE_EXPIRED, parameters)).rowcount

    @storage_errors
    async def remove_all(self, owner: str) -> int:
        return (await self._transaction.execute(_DELETE_ALL, {"owner": owner})).rowcount


def _stored_record(response: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(response)
    # Responses stored before the task record existed carry the owner too (it is the row's).
    record.pop("user_id", None)
    return record
