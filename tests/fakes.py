"""Hand-written fakes for the ports the in-memory adapters do not cover (no mocks), and
small helpers about tasks shared by the tests."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Self

from adapters.memory import InMemoryTaskRepository, InMemoryTaskStore, InMemoryUnitOfWork
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery
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
    return tuple(getattr(task, field.name) for field in dataclasses.fields(Task))


def reference_order(tasks: Iterable[Task], query: TaskQuery) -> list[uuid.UUID]:
    """The ids of the tasks ``query`` selects (status, search, priorities, tags, due range,
    reminder), in its documented order: computed independently of every adapter, as the
    tests' oracle. Ties are broken by id; tasks without the sort value (no due date) come
    last in both directions; priorities sort by rank, then by creation time."""

    ranks = {"none": 0, "low": 1, "medium": 2, "high": 3}

    def value(task: Task) -> object:
        return {
            SortField.CREATED: task.created_at,
            SortField.UPDATED: task.updated_at,
            SortField.TITLE: task.title.casefold(),
            SortField.DUE_DATE: task.due_date,
            SortField.PRIORITY: (ranks[task.priority.value], task.created_at),
        }[query.sort]

    def filters_match(task: Task) -> bool:
        if query.priorities is not None and task.priority not in query.priorities:
            return False
        wanted = {tag.casefold() for tag in query.tags}
        if not wanted <= {tag.casefold() for tag in task.tags}:
            return False
        due = task.due_date
        if query.due_from is not None and (due is None or due < query.due_from):
            return False
        if query.due_to is not None and (due is None or due > query.due_to):
            return False
        reminder = task.remind_at
        return query.remind_to is None or (reminder is not None and reminder <= query.remind_to)

    def matches(task: Task) -> bool:
        if query.status is StatusFilter.PENDING and task.completed:
            return False
        if query.status is StatusFilter.COMPLETED and not task.completed:
            return False
        if query.search is None or not query.search.strip():
            return True  # a blank search matches everything
        term = query.search.casefold()
        return term in task.title.casefold() or term in (task.description or "").casefold()

    chosen = [t for t in tasks if matches(t) and filters_match(t)]
    descending = query.direction is SortOrder.DESC
    present = sorted(
        (t for t in chosen if value(t) is not None),
        key=lambda t: (value(t), t.id.bytes),
        reverse=descending,
    )
    missing = sorted(
        (t for t in chosen if value(t) is None), key=lambda t: t.id.bytes, reverse=descending
    )
    return [t.id for t in present + missing]
