"""A conditional write that fails says which version the task is at (ADR 0025): what a 412
sends as the current ``ETag``."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from application.errors import VersionMismatch
from application.use_cases import UpdateTask
from domain.task import NewTask, TaskChanges
from entrypoints.http.problems import ERRORS
from tests.fakes import InterleavingUnitOfWork
from tests.unit.application.test_use_cases import ALICE, App, Gate, concurrent_edit


@pytest.fixture
def app() -> App:
    return App()


async def at_version_3(app: App) -> uuid.UUID:
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    for title in ("v2", "v3"):
        await app.update.execute(ALICE, task.id, TaskChanges(title=title))
    return task.id


@pytest.mark.parametrize("accepted", [frozenset({1}), frozenset({1, 2}), frozenset()])
async def test_every_refused_write_names_the_current_version(
    app: App, accepted: frozenset[int]
) -> None:
    task_id = await at_version_3(app)
    writes = [
        app.update.execute(ALICE, task_id, TaskChanges(title="x"), accepted_versions=accepted),
        app.toggle.execute(ALICE, task_id, accepted_versions=accepted),
        app.delete.execute(ALICE, task_id, accepted_versions=accepted),
    ]
    for write in writes:
        with pytest.raises(VersionMismatch) as refused:
            await write
        assert (refused.value.task_id, refused.value.current_version) == (task_id, 3)
    stored = await app.stored(ALICE, task_id)
    assert stored is not None
    assert (stored.title, stored.version) == ("v3", 3)


async def test_the_loser_of_a_race_is_told_the_winners_version(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Original"))
    gate = Gate()
    update = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(
        update.execute(ALICE, task.id, TaskChanges(title="Mine"), accepted_versions=frozenset({1}))
    )
    await gate.reached.wait()  # read version 1, about to write
    await concurrent_edit(app.store, ALICE, task.id)  # writes version 2
    gate.released.set()
    with pytest.raises(VersionMismatch) as refused:
        await running
    assert refused.value.current_version == 2
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.version) == ("Original", 2)


async def test_a_race_lost_to_a_version_the_caller_also_accepts_still_lands(app: App) -> None:
    """``If-Match: "1", "2"``: the write that lost to version 2 is checked again on it."""
    task = await app.create.execute(ALICE, NewTask(title="Original"))
    gate = Gate()
    update = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(
        update.execute(
            ALICE, task.id, TaskChanges(title="Mine"), accepted_versions=frozenset({1, 2})
        )
    )
    await gate.reached.wait()
    await concurrent_edit(app.store, ALICE, task.id)
    gate.released.set()
    result = await running
    assert (result.title, result.description, result.version) == ("Mine", "concurrent 1", 3)


def test_the_412_names_the_current_etag_and_nothing_when_unknown() -> None:
    """``VersionMismatch(task_id)`` stays as it was (a store that cannot say the version)."""
    task_id = uuid.uuid4()
    rule = ERRORS[VersionMismatch]
    assert rule.problem.status == 412
    assert rule.headers(VersionMismatch(task_id, current_version=7)) == {"ETag": '"7"'}
    assert rule.headers(VersionMismatch(task_id)) == {}
