"""Idempotency keys in memory, staged until commit like the tasks."""

from __future__ import annotations

import copy
import dataclasses
import uuid
from datetime import datetime

from adapters.memory.repository import InMemoryTaskStore
from application.errors import IdempotencyKeyTaken
from application.ports import IdempotencyRecord


class InMemoryIdempotencyRepository:
    def __init__(self, store: InMemoryTaskStore) -> None:
        self._store = store
        self.staged: dict[tuple[str, str], IdempotencyRecord] = {}
        self.removed: set[tuple[str, str]] = set()

    async def get(
        self, owner: str, key: str, *, created_after: datetime
    ) -> IdempotencyRecord | None:
        record = self.staged.get((owner, key))
        if record is None and (owner, key) not in self.removed:
            record = self._store.idempotency.get((owner, key))
        if record is None or record.created_at <= created_after:
            return None
        return dataclasses.replace(record, task=copy.copy(record.task))

    async def add(self, record: IdempotencyRecord) -> None:
        slot = (record.owner, record.key)
        if slot in self.staged or (slot in self._store.idempotency and slot not in self.removed):
            raise IdempotencyKeyTaken(record.key)
        self.staged[slot] = dataclasses.replace(record, task=copy.copy(record.task))

    async def release_expired(self, owner: str, key: str, *, created_before: datetime) -> bool:
        slot = (owner, key)
        record = self._store.idempotency.get(slot)
        if record is None or slot in self.removed or record.created_at >= created_before:
            return False
        self.removed.add(slot)
        return True

    async def remove_expired(self, *, created_before: datetime, limit: int) -> int:
        expired = sorted(
            (record.created_at, slot)
            for slot, record in self._store.idempotency.items()
            if slot not in self.removed and record.created_at < created_before
        )[:limit]
        self.removed |= {slot for _, slot in expired}
        return len(expired)

    async def remove_all(self, owner: str) -> int:
        stored = {
            slot
            for slot in self._store.idempotency
            if slot[0] == owner and slot not in self.removed
        }
        staged = {slot for slot in self.staged if slot[0] == owner}
        for slot in staged:
            del self.staged[slot]
        self.removed |= stored
        return len(stored | staged)

    def apply(self, deleted_tasks: set[uuid.UUID]) -> None:
        """Called by the unit of work's commit, after ``check``; no awaits in between. The
        records of tasks deleted by the same commit forget their content, as the SQL
        store's trigger does."""
        for slot in self.removed:
            self._store.idempotency.pop(slot, None)
        self._store.idempotency.update(self.staged)
        if deleted_tasks:
            for slot, record in self._store.idempotency.items():
                if record.task is not None and record.task.id in deleted_tasks:
                    self._store.idempotency[slot] = dataclasses.replace(record, task=None)

    def check(self) -> None:
        for slot in self.staged:
            if slot in self._store.idempotency and slot not in self.removed:
                raise IdempotencyKeyTaken(slot[1])
