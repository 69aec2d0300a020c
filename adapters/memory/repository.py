"""A task repository over a dict, with the same semantics as the SQL one."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from adapters.ordering import search_key, title_sort_key
from application.errors import DuplicateTaskId
from application.ports import IdempotencyRecord, OwnerTaskCount, TagCount, TaskStats, TaskSummary
from application.queries import (
    SortField,
    SortOrder,
    StatusFilter,
    TaskPosition,
    TaskQuery,
    sort_value,
)
from domain.fields import Priority, tag_key
from domain.task import Task

_Key = tuple[str, uuid.UUID]


class InMemoryTaskStore:
    """The committed state, shared by every unit of work of one container."""

    def __init__(self) -> None:
        self.tasks: dict[_Key, Task] = {}
        self.idempotency: dict[tuple[str, str], IdempotencyRecord] = {}


class InMemoryTaskRepository:
    """Reads see committed state plus this transaction's own writes; writes are staged
    until the unit of work commits."""

    def __init__(self, store: InMemoryTaskStore) -> None:
        self._store = store
        self.staged: dict[_Key, Task | None] = {}
        self.expected_versions: dict[_Key, int | None] = {}

    def _current(self, key: _Key) -> Task | None:
        if key in self.staged:
            return self.staged[key]
        return self._store.tasks.get(key)

    async def add(self, task: Task) -> None:
        key = (task.user_id, task.id)
        if self._current(key) is not None or any(k[1] == task.id for k in self._store.tasks):
            raise ValueError(f"task {task.id} already exists")
        self.staged[key] = copy.copy(task)
        self.expected_versions.setdefault(key, None)

    async def add_within(self, task: Task, *, max_tasks: int) -> bool:
        if await self.count(task.user_id) >= max_tasks:
            return False
        await self.add(task)
        return True

    async def count(self, owner: str) -> int:
        return sum(1 for task in self._visible() if task.user_id == owner)

    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None:
        task = self._current((owner, task_id))
        return copy.copy(task) if task is not None else None

    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        tasks = [t for t in self._visible() if t.user_id == owner and _matches(t, query)]
        tasks.sort(key=lambda t: _sort_key(t, query))
        if query.after is not None:
            after_key = _position_key(query.after, query)
            tasks = [t for t in tasks if _sort_key(t, query) > after_key]
        return [copy.copy(t) for t in tasks[: query.limit]]

    async def update(self, task: Task, *, expected_version: int) -> bool:
        key = (task.user_id, task.id)
        current = self._current(key)
        if current is None or current.version != expected_version:
            return False
        self.expected_versions.setdefault(key, current.version)
        self.staged[key] = copy.copy(task)
        return True

    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        key = (owner, task_id)
        current = self._current(key)
        if current is None:
            return False
        if expected_version is not None and current.version != expected_version:
            return False
        self.expected_versions.setdefault(key, current.version)
        self.staged[key] = None
        return True

    async def get_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> Sequence[Task]:
        found = (self._current((owner, task_id)) for task_id in set(task_ids))
        return [copy.copy(task) for task in found if task is not None]

    async def remove_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> int:
        return sum([await self.remove(owner, task_id) for task_id in set(task_ids)])

    async def remove_completed(self, owner: str) -> int:
        done = [t.id for t in self._visible() if t.user_id == owner and t.completed]
        return await self.remove_many(owner, done)

    async def summary(self, owner: str, *, today: date) -> TaskSummary:
        tasks = [task for task in self._visible() if task.user_id == owner]
        pending = [task for task in tasks if not task.completed]
        return TaskSummary(
            total=len(tasks),
            pending=len(pending),
            completed=len(tasks) - len(pending),
            overdue=sum(1 for t in pending if t.due_date is not None and t.due_date < today),
            due_today=sum(1 for t in pending if t.due_date == today),
            by_priority={p: sum(1 for t in pending if t.priority is p) for p in Priority},
        )

    async def tag_counts(self, owner: str) -> Sequence[TagCount]:
        first_seen: dict[str, tuple[tuple[datetime, str], str]] = {}
        counts: dict[str, int] = {}
        for task in self._visible():
            if task.user_id != owner:
                continue
            for tag in task.tags:
                key = tag_key(tag)
                counts[key] = counts.get(key, 0) + 1
                age = (task.created_at, str(task.id))
                if key not in first_seen or age < first_seen[key][0]:
                    first_seen[key] = (age, tag)
        return [TagCount(first_seen[key][1], counts[key]) for key in sorted(counts)]

    def _visible(self) -> Sequence[Task]:
        """Every task this transaction sees: committed state plus its own writes."""
        keys = set(self._store.tasks) | set(self.staged)
        return [task for key in keys if (task := self._current(key)) is not None]

    async def add_many(self, tasks: Sequence[Task]) -> None:
        taken = {task.id for task in self._visible()}
        new_ids: set[uuid.UUID] = set()
        for task in tasks:
            if task.id in taken or task.id in new_ids:
                raise DuplicateTaskId(f"task {task.id} already exists")
            new_ids.add(task.id)
        for task in tasks:
            key = (task.user_id, task.id)
            self.staged[key] = copy.copy(task)
            self.expected_versions.setdefault(key, None)

    async def owners_of(self, task_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, str]:
        wanted = set(task_ids)
        return {task.id: task.user_id for task in self._visible() if task.id in wanted}

    async def remove_all(self, owner: str) -> int:
        removed = 0
        for task in self._visible():
            if task.user_id == owner:
                key = (owner, task.id)
                self.expected_versions.setdefault(key, task.version)
                self.staged[key] = None
                removed += 1
        return removed

    async def stats(self, *, top: int) -> TaskStats:
        per_owner: dict[str, int] = {}
        completed = 0
        for task in self._visible():
            per_owner[task.user_id] = per_owner.get(task.user_id, 0) + 1
            completed += task.completed
        largest = sorted(per_owner.items(), key=lambda item: (-item[1], item[0]))[:top]
        return TaskStats(
            owners=len(per_owner),
            tasks=sum(per_owner.values()),
            completed=completed,
            largest=[OwnerTaskCount(owner=owner, tasks=count) for owner, count in largest],
        )


def _matches(task: Task, query: TaskQuery) -> bool:
    if query.status is StatusFilter.PENDING and task.completed:
        return False
    if query.status is StatusFilter.COMPLETED and not task.completed:
        return False
    if query.priorities is not None and task.priority not in query.priorities:
        return False
    if not query.tag_keys <= {tag_key(tag) for tag in task.tags}:
        return False
    due = task.due_date
    if query.due_from is not None and (due is None or due < query.due_from):
        return False
    if query.due_to is not None and (due is None or due > query.due_to):
        return False
    if query.remind_to is not None and (task.remind_at is None or task.remind_at > query.remind_to):
        return False
    term = query.search_term
    if term is None:
        return True
    needle = search_key(term)
    return needle in search_key(task.title) or needle in search_key(task.description or "")


class _Reversed:
    """Inverts the order of a value inside a sort key tuple."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __gt__(self, other: _Reversed) -> bool:
        return bool(other.value > self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _key_for(value: datetime | date | str | None, task_id: uuid.UUID, query: TaskQuery) -> Any:
    if query.sort is SortField.TITLE and isinstance(value, str):
        value = title_sort_key(value)
    # Nulls last in both orders: the null flag always sorts ascending.
    is_null = value is None
    parts: tuple[Any, ...] = (value, str(task_id)) if not is_null else (0, str(task_id))
    if query.direction is SortOrder.DESC:
        parts = tuple(_Reversed(p) for p in parts)
    return (is_null, *parts)


def _sort_key(task: Task, query: TaskQuery) -> Any:
    return _key_for(sort_value(task, query.sort), task.id, query)


def _position_key(position: TaskPosition, query: TaskQuery) -> Any:
    return _key_for(position.value, position.task_id, query)
