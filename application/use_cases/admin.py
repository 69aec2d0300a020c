"""Operators' use cases (the admin CLI): export, import, purge, statistics and demo data.

Bulk work is streamed: exports read keyset pages and hand tasks out one by one; imports and
seeds write in batches. Each import or seed is one unit of work, so it lands whole or not
at all; an export reads each page with its own short read (one statement).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from application.demo_data import demo_tasks
from application.errors import InvalidRecord, TaskQuotaExceeded
from application.ports import Clock, TaskStats, UnitOfWork
from application.queries import SortField, SortOrder, TaskQuery, position_of
from application.use_cases.tasks import MaxTasks
from domain.errors import InvalidTaskField
from domain.task import Task, TaskRecord, check_user_id

EXPORT_PAGE_SIZE = 1000
IMPORT_BATCH_SIZE = 1000
SEED_BATCH_SIZE = 5000
DEFAULT_TOP_OWNERS = 10

# Called with the number of tasks handled so far, after each batch or page.
Progress = Callable[[int], None]


def _no_progress(_count: int) -> None:
    return None


class _BatchedWrite:
    """A use case that writes one owner's tasks in batches of ``batch_size``, all in one
    unit of work."""

    batch_size: int

    def __init__(self, uow: UnitOfWork, clock: Clock, batch_size: int | None = None) -> None:
        self._uow = uow
        self._clock = clock
        if batch_size is not None:
            self.batch_size = batch_size


class ExportTasks:
    """Every task of one owner, oldest first (``created_at``, then id), read in keyset pages
    so memory stays flat whatever the owner's task count. An owner without tasks (or one the
    store never heard of: users live in the identity provider) simply has none.

    Each page is its own short read: the export is not a snapshot. A task created or
    deleted meanwhile may or may not appear, but no task appears twice and none that stays
    unchanged is missed.
    """

    def __init__(self, uow: UnitOfWork, page_size: int = EXPORT_PAGE_SIZE) -> None:
        self._uow = uow
        self._page_size = page_size

    async def execute(self, owner: str) -> AsyncIterator[Task]:
        query = TaskQuery(sort=SortField.CREATED, order=SortOrder.ASC, limit=self._page_size)
        while True:
            async with self._uow as uow:
                page = list(await uow.tasks.list(owner, query))
            for task in page:
                yield task
            if len(page) < self._page_size:
                return
            query = TaskQuery(
                sort=query.sort,
                order=query.order,
                limit=query.limit,
                after=position_of(page[-1], query.sort),
            )


class ImportTasks(_BatchedWrite):
    """Add tasks to one owner from a stream of records, all or nothing.

    Every record goes through the aggregate (``Task.restore``); ids, timestamps (with
    ``completed_at``), versions and ``next_task_id`` are kept, unless ``new_ids`` asks for
    fresh ids: then ``next_task_id`` is cleared, since it names an old id. A record whose id
    is already taken — by this owner (stored before, or earlier in the same input) or by
    another owner — is an error: an import never overwrites nor duplicates a task, so
    importing the same export twice fails instead of doubling the tasks. Records are checked
    and inserted in batches inside one unit of work; the first bad record raises
    ``InvalidRecord`` (its index and field) and nothing is written. The records may be a lazy
    stream (a file being parsed): an error it raises also rolls everything back.

    Within the owner's quota (``max_tasks``): the owner's tasks are counted once, before
    the first batch, and a batch that would take the owner past the quota raises
    ``TaskQuotaExceeded`` (naming the first record over it) and nothing is written.
    """

    batch_size = IMPORT_BATCH_SIZE

    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        batch_size: int | None = None,
        max_tasks: MaxTasks = None,
    ) -> None:
        super().__init__(uow, clock, batch_size)
        self._max_tasks = max_tasks

    async def execute(
        self,
        owner: str,
        records: Iterable[TaskRecord] | AsyncIterable[TaskRecord],
        *,
        new_ids: bool = False,
        on_progress: Progress = _no_progress,
    ) -> int:
        """Returns how many tasks were imported."""
        check_user_id(owner)
        now = self._clock.now()
        imported = 0
        async with self._uow as uow:
            existing = await uow.tasks.count(owner) if self._max_tasks is not None else 0
            batch: list[tuple[int, Task]] = []
            index = 0
            async for record in _stream(records):
                batch.append((index, _restore(owner, index, record, now, new_ids=new_ids)))
                index += 1
                if len(batch) >= self.batch_size:
                    self._check_quota(owner, existing, imported, batch)
                    imported += await self._write(uow, owner, batch, check_ids=not new_ids)
                    on_progress(imported)
                    batch = []
            if batch:
                self._check_quota(owner, existing, imported, batch)
                imported += await self._write(uow, owner, batch, check_ids=not new_ids)
                on_progress(imported)
            await uow.commit()
        return imported

    def _check_quota(
        self, owner: str, existing: int, imported: int, batch: list[tuple[int, Task]]
    ) -> None:
        if self._max_tasks is None:
            return
        room = self._max_tasks - existing - imported
        if len(batch) > room:
            first_over = batch[max(room, 0)][0]
            raise TaskQuotaExceeded(owner, self._max_tasks, existing=existing, index=first_over)

    @staticmethod
    async def _write(
        uow: UnitOfWork, owner: str, batch: list[tuple[int, Task]], *, check_ids: bool
    ) -> int:
        if check_ids:
            first_index: dict[uuid.UUID, int] = {}
            for index, task in batch:
                if task.id in first_index:
                    raise InvalidRecord(
                        index, "id", f"{task.id} repeats the id of tasks[{first_index[task.id]}]"
                    )
                first_index[task.id] = index
            taken = await uow.tasks.owners_of(list(first_index))
            for index, task in batch:
                holder = taken.get(task.id)
                if holder == owner:
                    raise InvalidRecord(
                        index,
                        "id",
                        f"task {task.id} already exists for this user"
                        " (stored before, or earlier in this input)",
                    )
                if holder is not None:
                    raise InvalidRecord(index, "id", f"task {task.id} belongs to another user")
        await uow.tasks.add_many([task for _, task in batch])
        return len(batch)


def _restore(owner: str, index: int, record: TaskRecord, now: datetime, *, new_ids: bool) -> Task:
    created_at = record.created_at or record.updated_at or now
    try:
        return Task.restore(
            record,
            task_id=None if new_ids else record.id,
            user_id=owner,
            created_at=created_at,
            updated_at=record.updated_at or created_at,
            version=record.version,
            completed_at=record.completed_at,
            # Under new ids the link would name the old id: a task of the exporting user,
            # or of nobody, never one of this owner's.
            next_task_id=None if new_ids else record.next_task_id,
        )
    except InvalidTaskField as error:
        raise InvalidRecord(index, error.field, error.message) from error


async def _stream(
    records: Iterable[TaskRecord] | AsyncIterable[TaskRecord],
) -> AsyncIterator[TaskRecord]:
    if isinstance(records, AsyncIterable):
        async for record in records:
            yield record
    else:
        for record in records:
            yield record


@dataclass(frozen=True)
class PurgeResult:
    tasks: int
    idempotency_keys: int


class PurgeUser:
    """Right to erasure: delete every task and idempotency key of one owner, in one
    transaction. Purging an owner with nothing stored erases nothing and succeeds."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, owner: str) -> PurgeResult:
        async with self._uow as uow:
            tasks = await uow.tasks.remove_all(owner)
            keys = await uow.idempotency.remove_all(owner)
            await uow.commit()
        return PurgeResult(tasks=tasks, idempotency_keys=keys)


class GetStats:
    """Store-wide counts and the owners with the most tasks."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, *, top: int = DEFAULT_TOP_OWNERS) -> TaskStats:
        if top < 0:
            raise ValueError("top must not be negative")
        async with self._uow as uow:
            return await uow.tasks.stats(top=top)


class SeedTasks(_BatchedWrite):
    """Add ``count`` realistic demo tasks to one owner (``application.demo_data``), made by
    the aggregate and inserted in batches, in one transaction."""

    batch_size = SEED_BATCH_SIZE

    async def execute(
        self,
        owner: str,
        count: int,
        *,
        seed: int | None = None,
        on_progress: Progress = _no_progress,
    ) -> int:
        """Returns how many tasks were added (``count``). Same seed, same content."""
        check_user_id(owner)
        if count < 0:
            raise ValueError("count must not be negative")
        rng = random.Random(seed)  # noqa: S311 - demo content, not secrets
        now = self._clock.now()
        added = 0
        async with self._uow as uow:
            batch: list[Task] = []
            for task in demo_tasks(owner, count, now, rng):
                batch.append(task)
                if len(batch) >= self.batch_size:
                    await uow.tasks.add_many(batch)
                    added += len(batch)
                    on_progress(added)
                    batch = []
            if batch:
                await uow.tasks.add_many(batch)
                added += len(batch)
                on_progress(added)
            await uow.commit()
        return added
