"""In-memory unit of work: staged writes land together on commit, or not at all."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from adapters.memory.repository import InMemoryTaskRepository, InMemoryTaskStore
from application.errors import ConcurrentUpdate


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryTaskStore) -> None:
        self._store = store
        self.tasks = InMemoryTaskRepository(store)
        self.committed = False

    async def __aenter__(self) -> Self:
        self.tasks = InMemoryTaskRepository(self._store)
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed is dropped with the repository's staging area.
        self.tasks = InMemoryTaskRepository(self._store)

    async def commit(self) -> None:
        staged, expected = self.tasks.staged, self.tasks.expected_versions
        # No await between the checks and the writes: the commit is atomic on the event loop.
        for key, version in expected.items():
            current = self._store.tasks.get(key)
            if version is None and current is not None:
                raise ConcurrentUpdate(f"task {key[1]} was created concurrently")
            if version is not None and (current is None or current.version != version):
                raise ConcurrentUpdate(f"task {key[1]} changed during the transaction")
        for key, task in staged.items():
            if task is None:
                self._store.tasks.pop(key, None)
            else:
                self._store.tasks[key] = task
        self.committed = True
        self.tasks = InMemoryTaskRepository(self._store)
