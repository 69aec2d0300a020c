"""Edits of many tasks at once: a batch (complete, reopen or delete up to 200 tasks) and
"clear completed". Each is one unit of work: all of it lands, or none."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from application.errors import ConcurrentUpdate, InvalidQuery, TaskNotFound
from application.ports import Clock, UnitOfWork
from application.use_cases.tasks import MaxTasks, committed, store_edit
from domain.task import Task, TaskChanges

MAX_BATCH_SIZE = 200
# A batch that loses a race to a concurrent writer is re-read and re-applied this often.
_BATCH_ATTEMPTS = 3


class BatchAction(StrEnum):
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"


@dataclass(frozen=True)
class BatchResult:
    """The tasks the batch changed, the next occurrences completing them created, and the
    ids it deleted."""

    tasks: list[Task] = field(default_factory=list)
    created: list[Task] = field(default_factory=list)
    deleted: list[uuid.UUID] = field(default_factory=list)


class BatchEditTasks:
    """Complete, reopen or delete 1-200 of the owner's tasks, all or nothing: if any id is
    not one of the owner's tasks, nothing changes (``TaskNotFound``). Completing a
    recurring task creates its next occurrence in the same transaction; if that would take
    the owner past the quota, nothing changes (``TaskQuotaExceeded``)."""

    def __init__(self, uow: UnitOfWork, clock: Clock, max_tasks: MaxTasks = None) -> None:
        self._uow = uow
        self._clock = clock
        self._max_tasks = max_tasks

    async def execute(
        self, owner: str, action: BatchAction, task_ids: Sequence[uuid.UUID]
    ) -> BatchResult:
        _check_ids(task_ids)
        for _ in range(_BATCH_ATTEMPTS):
            result = await self._attempt(owner, action, task_ids)
            if result is not None:
                return result
        raise ConcurrentUpdate("the tasks kept changing; try again")

    async def _attempt(
        self, owner: str, action: BatchAction, task_ids: Sequence[uuid.UUID]
    ) -> BatchResult | None:
        """The batch's result, or ``None`` when a concurrent write got in between (nothing of
        this attempt is kept)."""
        async with self._uow as uow:
            found = {task.id: task for task in await uow.tasks.get_many(owner, task_ids)}
            for task_id in task_ids:
                if task_id not in found:
                    raise TaskNotFound(task_id)
            if action is BatchAction.DELETE:
                if await uow.tasks.remove_many(owner, task_ids) != len(task_ids):
                    return None
                if not await committed(uow):
                    return None
                return BatchResult(deleted=list(task_ids))
            result = BatchResult()
            changes = TaskChanges(completed=action is BatchAction.COMPLETE)
            now = self._clock.now()
            for task_id in task_ids:
                task = found[task_id]
                read_version = task.version
                outcome = task.edit(changes, now)
                if not outcome.changed:
                    continue
                if not await store_edit(uow, task, outcome, read_version, self._max_tasks):
                    return None
                result.tasks.append(task)
                if outcome.next_occurrence is not None:
                    result.created.append(outcome.next_occurrence)
            # A unit of work that sends its writes at commit finds a lost race there.
            return result if await committed(uow) else None


def _check_ids(task_ids: Sequence[uuid.UUID]) -> None:
    if not 1 <= len(task_ids) <= MAX_BATCH_SIZE:
        raise InvalidQuery("ids", f"must list 1 to {MAX_BATCH_SIZE} task ids")
    if len(set(task_ids)) != len(task_ids):
        raise InvalidQuery("ids", "must not list a task twice")


class ClearCompletedTasks:
    """Delete all of the owner's completed tasks ("clear completed"). Returns how many."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, owner: str) -> int:
        async with self._uow as uow:
            deleted = await uow.tasks.remove_completed(owner)
            await uow.commit()
        return deleted
