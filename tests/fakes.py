"""Hand-written fakes for the ports the in-memory adapters do not cover (no mocks), and
small helpers about tasks shared by the tests."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Self

from adapters.memory import InMemoryTaskRepository, InMemoryTaskStore, InMemoryUnitOfWork
from domain.task import Task

AfterGet = Callable[[], Awaitable[None]]

T0 = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


class FixedClock:
    """Always the same moment, until a test moves it with ``advance`` or ``set``."""

    def __init__(self, moment: datetime = T0) -> None:
        self.moment = moment
        self.calls = 0

    def now(self) -> datetime:
        self.calls += 1
        return self.moment

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self.moment += delta
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment


class SteppingClock:
    """Each ``now()`` is ``step`` later than the one before: every event gets its own time."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> None:
        self._next = start
        self.step = step
        self.calls = 0
        self.last: datetime | None = None

    def now(self) -> datetime:
        self.calls += 1
        moment, self._next = self._next, self._next + self.step
        self.last = moment
        return moment

    def peek(self) -> datetime:
        """The moment the next ``now()`` will give, without consuming it."""
        return self._next


class _ReadHookRepository(InMemoryTaskRepository):
    def __init__(self, store: InMemoryTaskStore, after_get: AfterGet) -> None:
        super().__init__(store)
        self._after_get = after_get

    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        task = await super().get(owner, task_id)
        await self._after_get()
        return task


class InterleavingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work, with a seam right after every ``tasks.get``.

    ``after_get`` is awaited between a use case's read and its write: a test can suspend
    there and let a concurrent writer (another unit of work on the same store) commit.
    """

    def __init__(self, store: InMemoryTaskStore, after_get: AfterGet) -> None:
        super().__init__(store)
        self._hooked_store = store
        self._after_get_hook = after_get

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.tasks = _ReadHookRepository(self._hooked_store, self._after_get_hook)
        return self


def fields_of(task: Task) -> tuple[object, ...]:
    """Every field of a task, to compare tasks by value (``==`` compares ids only)."""
    return (
        task.id,
        task.user_id,
        task.title,
        task.description,
        task.completed,
        task.due_date,
        task.created_at,
        task.updated_at,
        task.version,
    )
