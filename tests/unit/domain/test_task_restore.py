"""``Task.restore``: a task brought back from an export keeps its history, under every rule."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidTaskField
from domain.task import NewTask, Task

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def restore(**changes: object) -> Task:
    fields: dict[str, object] = {
        "task_id": uuid.uuid4(),
        "user_id": "alice",
        "title": "Buy milk",
        "description": None,
        "completed": False,
        "due_date": None,
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        **changes,
    }
    names = [field.name for field in dataclasses.fields(NewTask) if field.name in fields]
    new = NewTask(**{name: fields.pop(name) for name in names})
    return Task.restore(new, **fields)  # type: ignore[arg-type]


def test_restore_keeps_id_timestamps_and_version() -> None:
    task_id = uuid.uuid4()
    task = restore(
        task_id=task_id,
        title="  Buy milk  ",
        description="two",
        completed=True,
        due_date=date(2024, 6, 3),
        updated_at=T0 + timedelta(hours=5),
        version=7,
    )
    assert task.id == task_id
    assert task.title == "Buy milk"
    assert (task.description, task.completed, task.due_date) == ("two", True, date(2024, 6, 3))
    assert (task.created_at, task.updated_at, task.version) == (T0, T0 + timedelta(hours=5), 7)


def test_restore_without_an_id_makes_a_new_one() -> None:
    assert restore(task_id=None).id != restore(task_id=None).id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 1001}, "description"),
        ({"user_id": ""}, "user_id"),
        ({"created_at": datetime(2024, 1, 1)}, "created_at"),
        ({"updated_at": datetime(2024, 1, 1)}, "updated_at"),
        ({"updated_at": T0 - timedelta(microseconds=1)}, "updated_at"),
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
    ],
)
def test_restore_checks_every_rule(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTaskField) as caught:
        restore(**changes)
    assert caught.value.field == field


@given(
    offset=st.integers(min_value=-14 * 60, max_value=14 * 60),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)),
)
def test_any_possible_history_is_accepted(offset: int, later: timedelta) -> None:
    created = T0.astimezone(timezone(timedelta(minutes=offset)))
    task = restore(created_at=created, updated_at=created + later)
    assert task.updated_at - task.created_at == later
