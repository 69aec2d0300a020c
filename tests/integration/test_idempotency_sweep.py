"""The idempotency repository's sweep and forgetting, on every store (memory, SQLite,
PostgreSQL): bounded batches across owners, oldest first; deleted tasks' content gone in
the deleting transaction; an expired key reusable before the sweep reached it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.ports import IdempotencyRecord
from application.use_cases import CreateTask, DeleteTask, ExpireIdempotencyKeys
from domain.task import NewTask, Task
from tests.fakes import T0, FixedClock
from tests.integration.conftest import UowFactory

LIFETIME = timedelta(hours=24)


async def store_record(uow_factory: UowFactory, owner: str, key: str, age: timedelta) -> Task:
    task = Task.create(user_id=owner, title=f"{owner}/{key}", now=T0 - age)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.idempotency.add(IdempotencyRecord(owner, key, "f" * 64, task, T0 - age))
        await uow.commit()
    return task


async def stored(uow_factory: UowFactory, owner: str, key: str) -> IdempotencyRecord | None:
    async with uow_factory() as uow:
        return await uow.idempotency.get(owner, key, created_after=T0 - timedelta(days=30))


async def test_the_sweep_deletes_expired_records_of_every_owner_in_bounded_batches(
    uow_factory: UowFactory, owner: str
) -> None:
    owners = [f"{owner}-{n}" for n in range(3)]
    for n, name in enumerate(owners):
        await store_record(uow_factory, name, "old-1", LIFETIME + timedelta(hours=3 + n))
        await store_record(uow_factory, name, "old-2", LIFETIME + timedelta(hours=1))
        await store_record(uow_factory, name, "fresh", timedelta(hours=1))
    sweep = ExpireIdempotencyKeys(uow_factory(), FixedClock(T0), batch_size=4)
    deleted = [await sweep.execute() for _ in range(3)]
    # Other tests' records in a shared database may be swept too: at least ours, in batches.
    assert deleted[0] == 4
    assert all(count <= 4 for count in deleted)
    for name in owners:
        assert await stored(uow_factory, name, "old-1") is None
        assert await stored(uow_factory, name, "old-2") is None
        assert await stored(uow_factory, name, "fresh") is not None


async def test_the_sweep_takes_the_oldest_first(uow_factory: UowFactory, owner: str) -> None:
    await store_record(uow_factory, owner, "older", LIFETIME + timedelta(days=300))
    await store_record(uow_factory, owner, "newer", LIFETIME + timedelta(seconds=1))
    await ExpireIdempotencyKeys(uow_factory(), FixedClock(T0), batch_size=1).execute()
    assert await stored(uow_factory, owner, "older") is None


async def test_deleting_a_task_forgets_its_records_content_in_the_same_commit(
    uow_factory: UowFactory, owner: str
) -> None:
    task = await store_record(uow_factory, owner, "k", timedelta(hours=1))
    kept = await store_record(uow_factory, owner, "other", timedelta(hours=1))
    async with uow_factory() as uow:
        await uow.tasks.remove(owner, task.id)
        # Left without committing: the task and its record's content stay.
    record = await stored(uow_factory, owner, "k")
    assert record is not None
    assert record.task is not None
    await DeleteTask(uow_factory()).execute(owner, task.id)
    record = await stored(uow_factory, owner, "k")
    assert record is not None
    assert record.task is None
    assert record.fingerprint == "f" * 64
    other = await stored(uow_factory, owner, "other")
    assert other is not None
    assert other.task is not None
    assert other.task.id == kept.id


async def test_purging_an_owners_tasks_forgets_every_records_content(
    uow_factory: UowFactory, owner: str
) -> None:
    for key in ("a", "b"):
        await store_record(uow_factory, owner, key, timedelta(hours=1))
    async with uow_factory() as uow:
        assert await uow.tasks.remove_all(owner) == 2
        await uow.commit()
    for key in ("a", "b"):
        record = await stored(uow_factory, owner, key)
        assert record is not None
        assert record.task is None


async def test_an_expired_key_is_reusable_before_the_sweep_deletes_it(
    uow_factory: UowFactory, owner: str
) -> None:
    clock = FixedClock(T0)
    create = CreateTask(uow_factory(), clock)
    first = await create.execute(owner, NewTask(title="a"), idempotency_key="k")
    clock.advance(LIFETIME + timedelta(hours=1))
    again = await create.execute(owner, NewTask(title="b"), idempotency_key="k")
    assert again.id != first.id
    record = await stored(uow_factory, owner, "k")
    assert record is not None
    assert record.task is not None
    assert record.task.id == again.id


@pytest.mark.parametrize("limit", [0, 1])
async def test_add_within_counts_the_owners_tasks_only(
    uow_factory: UowFactory, owner: str, limit: int
) -> None:
    async with uow_factory() as uow:
        await uow.tasks.add(Task.create(user_id=f"{owner}-other", title="x", now=T0))
        await uow.commit()
    task = Task.create(user_id=owner, title="mine", now=T0, tags=("a",))
    async with uow_factory() as uow:
        added = await uow.tasks.add_within(task, max_tasks=limit)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tasks.count(owner) == int(added)
        assert (await uow.tasks.get(owner, task.id) is not None) is added
    assert added is (limit == 1)
