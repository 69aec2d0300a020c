"""In-memory unit of work: staged writes land together on commit, or not at all."""

from __future__ import annotations

import uuid
from typing import Self

from adapters.memory.idempotency import InMemoryIdempotencyRepository
from adapters.memory.repository import InMemoryTaskRepository, InMemoryTaskStore
from application.errors import ConcurrentUpdate


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryTaskStore) -> None:
        self._store = store
        self._fresh_repositories()

    def _fresh_repositories(self) -> None:
        self.tasks = InMemoryTaskRepository(self._store)
        self.idempotency = InMemoryIdempotencyRepository(self._store)

    async def __aenter__(self) -> Self:
        self._fresh_repositories()
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        # Anything not committed is dropped with the repositories' staging areas.
        self._fresh_repositories()

    async def commit(self) -> None:
        staged, expected = self.tasks.staged, self.tasks.expected_versions
        # No await between the checks and the writes: the commit is atomic on the event loop.
        for key, version in expected.items():
            current = self._store.tasks.get(key)
            if version is None and current is not None:
                raise ConcurrentUpdate(f"task {key[1]} was created concurrently")
            if version is not None and (current is None or current.version != version):
                raise ConcurrentUpdate(f"task {key[1]} changed during the transaction")
        self.idempotency.check()
        deleted: set[uuid.UUID] = set()
        for key, task in staged.items():
            if task is None:
                if self._store.tasks.pop(key, None) is not None:
                    deleted.add(key[1])
            else:
                self._store.tasks[key] = task
        self.idempotency.apply(deleted)
        self._fresh_repositories()
