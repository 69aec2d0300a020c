"""Task use cases. Each runs in one unit of work and names the owner in every call."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from application.errors import (
    ConcurrentUpdate,
    CreatedTaskDeleted,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    InvalidQuery,
    TaskNotFound,
    TaskQuotaExceeded,
    VersionMismatch,
)
from application.ports import Clock, IdempotencyRecord, UnitOfWork
from application.queries import MAX_PAGE_SIZE, TaskPosition, TaskQuery, position_of
from application.task_document import json_value
from domain.recurrence import RecurrenceRule
from domain.task import Edit, NewTask, Task, TaskChanges

# An unconditional edit that loses a race re-reads and re-applies itself this many times.
_WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class TaskPage:
    items: list[Task]
    next_position: TaskPosition | None


IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


def fingerprint_of(new: NewTask) -> str:
    """What a create asked for, so a reused ``Idempotency-Key`` with another body is caught.

    Stored with the key for 24 hours: a field added to ``NewTask`` must leave the fingerprint
    of a request that does not set it unchanged, or retries across a deploy would be refused.
    """
    values = list(new.values().items())
    # The first four fields were all of a create when keys were first stored; later ones
    # count only when they differ from their default.
    canonical: list[object] = [value for _, value in values[:_FIRST_FIELDS]]
    later = {name: value for name, value in values[_FIRST_FIELDS:] if value != _DEFAULTS[name]}
    if later:
        canonical.append(later)
    text = json.dumps(
        canonical, ensure_ascii=False, separators=(",", ":"), default=_fingerprint_value
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_FIRST_FIELDS = 4
_DEFAULTS = {field.name: field.default for field in fields(NewTask)}


def _fingerprint_value(value: object) -> object:
    if isinstance(value, RecurrenceRule):
        return [value.frequency.value, value.interval]
    return json_value(value)


# The most tasks one owner may have (``MAX_TASKS_PER_USER``); ``None``: no cap.
MaxTasks = int | None


async def add_task(uow: UnitOfWork, task: Task, max_tasks: MaxTasks) -> None:
    """Add a new task of its owner, within the owner's quota: the count is part of the
    insert, so a create costs no extra statement. Raises ``TaskQuotaExceeded``."""
    if max_tasks is None:
        await uow.tasks.add(task)
    elif not await uow.tasks.add_within(task, max_tasks=max_tasks):
        raise TaskQuotaExceeded(task.user_id, max_tasks)


class CreateTask:
    """Create a task, within the owner's quota; with an idempotency key, a retry gets the
    first result and creates nothing (the key and the task are written in the same
    transaction). A retry whose task has since been deleted is ``CreatedTaskDeleted``."""

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        key_lifetime: timedelta = IDEMPOTENCY_KEY_LIFETIME,
        max_tasks: MaxTasks = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._key_lifetime = key_lifetime
        self._max_tasks = max_tasks

    async def execute(
        self, owner: str, new: NewTask, *, idempotency_key: str | None = None
    ) -> Task:
        now = self._clock.now()
        task = Task.create(user_id=owner, now=now, **new.values())
        if idempotency_key is None:
            async with self._uow as uow:
                await add_task(uow, task, self._max_tasks)
                await uow.commit()
            return task
        record = IdempotencyRecord(owner, idempotency_key, fingerprint_of(new), task, now)
        # Two rounds: if a concurrent request with the same key commits first, our insert
        # of the key fails, and the second round reads and replays the winner's result. If
        # nobody won (the key's record expired, and the sweep has not deleted it yet), the
        # second round releases it first.
        for attempt in range(2):
            try:
                return await self._create_once(record, release_expired=attempt > 0)
            except IdempotencyKeyTaken:
                continue
        raise ConcurrentUpdate(f"idempotency key {idempotency_key!r} is being used concurrently")

    async def _create_once(self, record: IdempotencyRecord, *, release_expired: bool) -> Task:
        # Expired records are deleted by the periodic sweep (ExpireIdempotencyKeys), not
        # here: a keyed create is one read and two inserts.
        cutoff = record.created_at - self._key_lifetime
        assert record.task is not None
        async with self._uow as uow:
            earlier = await uow.idempotency.get(record.owner, record.key, created_after=cutoff)
            if earlier is not None:
                if earlier.fingerprint != record.fingerprint:
                    raise IdempotencyKeyReused(
                        "this Idempotency-Key was used for a different request"
                    )
                if earlier.task is None:
                    raise CreatedTaskDeleted()
                return earlier.task
            if release_expired:
                await uow.idempotency.release_expired(
                    record.owner, record.key, created_before=cutoff
                )
            await add_task(uow, record.task, self._max_tasks)
            await uow.idempotency.add(record)
            await uow.commit()
        return record.task


class GetTask:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, owner: str, task_id: uuid.UUID) -> Task:
        async with self._uow as uow:
            task = await uow.tasks.get(owner, task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task


class ListTasks:
    """One page of the owner's tasks (at most ``MAX_PAGE_SIZE``) and where the next starts."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, owner: str, query: TaskQuery) -> TaskPage:
        if query.limit > MAX_PAGE_SIZE:
            raise InvalidQuery("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        # One extra row tells whether a next page exists, without a count query.
        async with self._uow as uow:
            rows = list(await uow.tasks.list(owner, replace(query, limit=query.limit + 1)))
        items = rows[: query.limit]
        has_more = len(rows) > query.limit
        next_position = position_of(items[-1], query.sort) if has_more else None
        return TaskPage(items=items, next_position=next_position)


EditTask = Callable[[Task, datetime], Edit]
# The versions an ``If-Match`` accepts; ``None``: any version (no header, or ``*``).
AcceptedVersions = frozenset[int] | None


def _check_version(task: Task, accepted: AcceptedVersions) -> None:
    if accepted is not None and task.version not in accepted:
        raise VersionMismatch(task.id, current_version=task.version)


async def store_edit(
    uow: UnitOfWork, task: Task, outcome: Edit, read_version: int, max_tasks: MaxTasks = None
) -> bool:
    """Write an edited task if it is still at ``read_version``, and, only once that write has
    landed, the next occurrence the edit made (within the owner's quota): so of concurrent
    completers only the one whose write lands continues the series. Returns whether the
    write landed."""
    if not await uow.tasks.update(task, expected_version=read_version):
        return False
    if outcome.next_occurrence is not None:
        await add_task(uow, outcome.next_occurrence, max_tasks)
    return True


async def committed(uow: UnitOfWork) -> bool:
    """Commit; ``False`` if a conditional write turned out stale at commit (nothing landed)."""
    try:
        await uow.commit()
    except ConcurrentUpdate:
        return False
    return True


async def _edit_task(
    uow: UnitOfWork,
    clock: Clock,
    owner: str,
    task_id: uuid.UUID,
    edit: EditTask,
    accepted: AcceptedVersions,
    max_tasks: MaxTasks,
) -> Task:
    """Read, edit and conditionally write one task.

    The write only lands if nobody wrote in between (a version check in the same statement).
    After a lost race the fresh task is read again: with ``accepted`` versions (``If-Match``)
    the version the winner wrote is checked like the first, so the caller's conflict names
    the current version; without them the edit is re-applied to the fresh task, so no
    concurrent write is silently overwritten. A completion that continues a series adds the
    next occurrence in the same transaction (``store_edit``), within the owner's quota (else
    nothing is written); the completers that lose re-read a completed task and create
    nothing.
    A unit of work may send its writes only at commit (ADR 0028): there a lost race shows
    as ``ConcurrentUpdate`` from ``commit``, and is handled as the write's ``False``.
    """
    for _ in range(_WRITE_ATTEMPTS):
        async with uow:
            task = await uow.tasks.get(owner, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            _check_version(task, accepted)
            read_version = task.version
            outcome = edit(task, clock.now())
            if not outcome.changed:
                return task
            if await store_edit(uow, task, outcome, read_version, max_tasks) and (
                await committed(uow)
            ):
                return task
    raise ConcurrentUpdate(f"task {task_id} kept changing; try again")


class UpdateTask:
    """PUT and PATCH: apply a partial edit, optionally only at one of the accepted versions."""

    def __init__(self, uow: UnitOfWork, clock: Clock, max_tasks: MaxTasks = None) -> None:
        self._uow = uow
        self._clock = clock
        self._max_tasks = max_tasks

    async def execute(
        self,
        owner: str,
        task_id: uuid.UUID,
        changes: TaskChanges,
        *,
        accepted_versions: AcceptedVersions = None,
    ) -> Task:
        def edit(task: Task, now: datetime) -> Edit:
            return task.edit(changes, now)

        return await _edit_task(
            self._uow, self._clock, owner, task_id, edit, accepted_versions, self._max_tasks
        )


class ToggleTaskCompletion:
    """The compatibility API's ``PATCH …/complete``: flip ``completed``."""

    def __init__(self, uow: UnitOfWork, clock: Clock, max_tasks: MaxTasks = None) -> None:
        self._uow = uow
        self._clock = clock
        self._max_tasks = max_tasks

    async def execute(
        self, owner: str, task_id: uuid.UUID, *, accepted_versions: AcceptedVersions = None
    ) -> Task:
        def edit(task: Task, now: datetime) -> Edit:
            return task.toggle_completed(now)

        return await _edit_task(
            self._uow, self._clock, owner, task_id, edit, accepted_versions, self._max_tasks
        )


class DeleteTask:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(
        self, owner: str, task_id: uuid.UUID, *, accepted_versions: AcceptedVersions = None
    ) -> None:
        async with self._uow as uow:
            expected = await _expected_version(uow, owner, task_id, accepted_versions)
            removed = await uow.tasks.remove(owner, task_id, expected_version=expected)
            if removed and await committed(uow):
                return
            # Only when nothing was deleted: a missing task is 404, a stale one 412.
            current = await uow.tasks.get(owner, task_id)
            if current is None:
                raise TaskNotFound(task_id)
            if expected is not None:
                raise VersionMismatch(task_id, current_version=current.version)
            raise ConcurrentUpdate(f"task {task_id} changed while being deleted; try again")


async def _expected_version(
    uow: UnitOfWork, owner: str, task_id: uuid.UUID, accepted: AcceptedVersions
) -> int | None:
    """The one version a conditional delete must find. A single accepted version needs no
    read (the delete checks it); with several, or none we could have issued, the task is
    read first: a missing task is 404, not 412 (RFC 9110 §13.2.1)."""
    if accepted is None:
        return None
    if len(accepted) == 1:
        return next(iter(accepted))
    task = await uow.tasks.get(owner, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    _check_version(task, accepted)
    return task.version
