"""The task codec: one document shape for HTTP, CLI, exports and stored responses."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.task_document import (
    RECORD_FIELDS,
    json_value,
    read_task,
    read_task_record,
    task_document,
    task_record,
)
from domain.errors import InvalidTaskField
from domain.task import Task
from entrypoints.http.schemas import TaskOut
from entrypoints.presentation import dump_json
from tests.fakes import T0, fields_of

moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)


def a_task(*, created: datetime = T0, due: date | None = None, version: int = 1) -> Task:
    task = Task.create(user_id="alice", title="Buy milk", now=created, due_date=due)
    task.updated_at = created + timedelta(microseconds=1)
    task.version = version
    return task


def test_the_documented_response_model_has_exactly_the_documents_fields() -> None:
    assert list(TaskOut.model_fields) == list(task_document(a_task()))


def test_a_document_carries_the_version_and_a_record_is_it_without_the_owner() -> None:
    """The version is what a conditional write names (ADR 0025): a listed task can be
    edited with ``If-Match`` without being read first."""
    task = a_task(version=5)
    document = task_document(task)
    assert document["version"] == 5
    assert task_record(task) == {
        name: value for name, value in document.items() if name != "user_id"
    }


@given(created=moments, due=st.none() | st.dates())
def test_a_document_reads_back_through_the_documented_model(
    created: datetime, due: date | None
) -> None:
    task = a_task(created=created, due=due)
    parsed = TaskOut.model_validate_json(dump_json(task_document(task)))
    assert parsed.model_dump() == task_document(task)


@given(created=moments, due=st.none() | st.dates(), version=st.integers(1, 2**31))
def test_the_standard_encoder_with_json_value_writes_what_orjson_writes(
    created: datetime, due: date | None, version: int
) -> None:
    document = task_record(a_task(created=created, due=due, version=version))
    standard = json.dumps(document, default=json_value, separators=(",", ":"))
    assert standard.encode() == dump_json(document)


def test_timestamps_are_rfc3339_in_utc_with_z() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert json_value(moment) == "2025-01-02T03:04:05.678901Z"
    assert json_value(moment.replace(microsecond=0)) == "2025-01-02T03:04:05Z"
    assert json_value(date(2026, 12, 24)) == "2026-12-24"
    with pytest.raises(TypeError):
        json_value(object())


@given(created=moments, due=st.none() | st.dates(), version=st.integers(1, 2**31))
def test_a_kept_record_reads_back_as_the_same_task(
    created: datetime, due: date | None, version: int
) -> None:
    task = a_task(created=created, due=due, version=version)
    kept = json.loads(dump_json(task_record(task)))
    assert "user_id" not in kept
    assert set(kept) == RECORD_FIELDS
    assert fields_of(read_task(kept, owner="alice")) == fields_of(task)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "t", "owner": "x"}, "owner"),
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": "t", "description": 3}, "description"),
        ({"title": "t", "completed": "yes"}, "completed"),
        ({"title": "t", "version": 0}, "version"),
        ({"title": "t", "version": True}, "version"),
        ({"title": "t", "id": "not-a-uuid"}, "id"),
        ({"title": "t", "due_date": "2026-02-30"}, "due_date"),
        ({"title": "t", "due_date": "20261224"}, "due_date"),
        ({"title": "t", "created_at": "2026-01-01T00:00:00"}, "created_at"),
        ({"title": "t", "updated_at": 12}, "updated_at"),
    ],
)
def test_a_record_of_the_wrong_shape_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTaskField) as caught:
        read_task_record(data)
    assert caught.value.field == field


def test_a_record_needs_only_a_title() -> None:
    record = read_task_record({"title": "t"})
    assert (record.title, record.completed, record.version, record.id) == ("t", False, 1, None)
    task_id = uuid.uuid4()
    full = read_task_record(
        {"title": "t", "id": str(task_id), "created_at": "2025-01-01T01:00:00+01:00"}
    )
    assert full.id == task_id
    assert full.created_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_a_kept_task_needs_its_timestamps() -> None:
    with pytest.raises(InvalidTaskField) as caught:
        read_task({"title": "t", "updated_at": "2025-01-01T00:00:00Z"}, owner="alice")
    assert caught.value.field == "created_at"
