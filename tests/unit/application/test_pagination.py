"""Page cursors' payloads: what a sealed cursor holds, and how strictly it is read back
(sealing itself: tests/unit/test_cursor_sealing.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from application.errors import InvalidQuery
from application.pagination import cursor_payload, filters_digest, read_cursor_payload
from application.queries import (
    SortField,
    SortOrder,
    SortValue,
    StatusFilter,
    TaskPosition,
    TaskQuery,
    position_of,
)
from domain.task import Priority, Task, normalize_title

TASK_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
MOMENT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

ALL_QUERIES = [TaskQuery(sort=sort, order=order) for sort in SortField for order in SortOrder]


def raw_cursor(payload: Any) -> bytes:
    """A hand-made payload; one without filters ("f") is bound to no filters."""
    if isinstance(payload, dict) and "f" not in payload and payload:
        payload = {**payload, "f": filters_digest(TaskQuery())}
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        (SortField.CREATED, MOMENT),
        (SortField.CREATED, datetime(2025, 1, 2, tzinfo=UTC)),  # no microseconds
        (SortField.UPDATED, MOMENT),
        (SortField.TITLE, "Buy milk"),
        (SortField.TITLE, 'École 🎉 "quoted" & ünïcode'),
        (SortField.DUE_DATE, date(2025, 12, 31)),
        (SortField.DUE_DATE, None),
        (SortField.PRIORITY, "320250102030405678901"),
    ],
)
@pytest.mark.parametrize("order", [None, *SortOrder])
def test_round_trip_for_every_sort(
    sort: SortField, value: SortValue, order: SortOrder | None
) -> None:
    query = TaskQuery(sort=sort, order=order)
    position = TaskPosition(value=value, task_id=TASK_ID)
    cursor = cursor_payload(query, position)
    assert read_cursor_payload(cursor, query) == position


def test_round_trip_of_a_real_task_for_every_sort() -> None:
    for due in (date(2024, 2, 29), None):
        task = Task.create(user_id="u", title="Ärger", due_date=due, now=MOMENT)
        for query in ALL_QUERIES:
            position = position_of(task, query.sort)
            assert read_cursor_payload(cursor_payload(query, position), query) == position


def test_timestamps_with_offsets_round_trip_to_the_same_instant() -> None:
    moment = MOMENT.astimezone(timezone(timedelta(hours=-7)))
    query = TaskQuery(sort=SortField.UPDATED)
    decoded = read_cursor_payload(cursor_payload(query, TaskPosition(moment, TASK_ID)), query)
    assert decoded.value == moment
    assert isinstance(decoded.value, datetime)
    assert decoded.value.utcoffset() is not None


@pytest.mark.parametrize("made_for", ALL_QUERIES)
@pytest.mark.parametrize("used_for", ALL_QUERIES)
def test_a_cursor_only_fits_its_own_sort_and_order(
    made_for: TaskQuery, used_for: TaskQuery
) -> None:
    values: dict[SortField, SortValue] = {
        SortField.CREATED: MOMENT,
        SortField.UPDATED: MOMENT,
        SortField.TITLE: "title",
        SortField.DUE_DATE: date(2025, 1, 1),
        SortField.PRIORITY: "020250101000000000000",
    }
    cursor = cursor_payload(made_for, TaskPosition(values[made_for.sort], TASK_ID))
    if (made_for.sort, made_for.direction) == (used_for.sort, used_for.direction):
        assert read_cursor_payload(cursor, used_for).task_id == TASK_ID
    else:
        with pytest.raises(InvalidQuery) as error:
            read_cursor_payload(cursor, used_for)
        assert error.value.field == "cursor"


@pytest.mark.parametrize(
    "other",
    [
        {"status": StatusFilter.PENDING},
        {"search": "milk"},
        {"priorities": frozenset({Priority.HIGH})},
        {"tags": ("home",)},
        {"due_from": date(2025, 1, 1)},
        {"due_to": date(2025, 1, 1)},
        {"remind_to": MOMENT},
    ],
)
def test_a_cursor_only_fits_the_filters_it_was_made_for(other: dict[str, Any]) -> None:
    plain = TaskQuery()
    filtered = TaskQuery(**other)
    for made_for, used_for in ((plain, filtered), (filtered, plain)):
        cursor = cursor_payload(made_for, TaskPosition(MOMENT, TASK_ID))
        assert read_cursor_payload(cursor, made_for).task_id == TASK_ID
        with pytest.raises(InvalidQuery) as error:
            read_cursor_payload(cursor, used_for)
        assert error.value.field == "cursor"


def test_tags_bind_a_cursor_ignoring_their_case_and_order() -> None:
    made_for = TaskQuery(tags=("Home", "work"))
    cursor = cursor_payload(made_for, TaskPosition(MOMENT, TASK_ID))
    assert read_cursor_payload(cursor, TaskQuery(tags=("WORK", "home"))).task_id == TASK_ID


def test_the_default_order_and_the_explicit_same_order_share_cursors() -> None:
    implicit = TaskQuery(sort=SortField.TITLE)
    explicit = TaskQuery(sort=SortField.TITLE, order=SortOrder.ASC)
    cursor = cursor_payload(implicit, TaskPosition("x", TASK_ID))
    assert read_cursor_payload(cursor, explicit) == TaskPosition("x", TASK_ID)


GOOD = {
    "s": "created",
    "o": "desc",
    "f": filters_digest(TaskQuery()),
    "v": MOMENT.isoformat(),
    "i": str(TASK_ID),
}


@pytest.mark.parametrize(
    "cursor",
    [
        b"",
        b"not a cursor",
        "é".encode("latin-1"),
        raw_cursor(GOOD)[:-3],
        raw_cursor(GOOD) + b"x",
        b"\xff\xfe\xfd",
        raw_cursor([1, 2, 3]),
        raw_cursor("string"),
        raw_cursor(None),
        raw_cursor({}),
        raw_cursor({**GOOD, "extra": 1}),
        raw_cursor({k: v for k, v in GOOD.items() if k != "i"}),
        raw_cursor({**GOOD, "i": "not-a-uuid"}),
        raw_cursor({**GOOD, "i": 12}),
        raw_cursor({**GOOD, "i": None}),
        raw_cursor({**GOOD, "i": ["x"]}),
        raw_cursor({**GOOD, "v": None}),
        raw_cursor({**GOOD, "v": 12345}),
        raw_cursor({**GOOD, "v": "yesterday"}),
        raw_cursor({**GOOD, "v": "2025-01-02T03:04:05"}),  # no offset
        raw_cursor({**GOOD, "v": {"a": 1}}),
        raw_cursor({**GOOD, "s": "title"}),
        raw_cursor({**GOOD, "o": "asc"}),
        raw_cursor({**GOOD, "s": None}),
    ],
)
def test_garbage_and_tampered_payloads_are_invalid_queries(cursor: bytes) -> None:
    with pytest.raises(InvalidQuery) as error:
        read_cursor_payload(cursor, TaskQuery())
    assert error.value.field == "cursor"


@pytest.mark.parametrize(
    "value",
    [None, 5, "2025-13-01", "2025-02-30", "tomorrow", "2025-01-01T00:00:00+00:00x"],
)
def test_bad_due_date_values_are_invalid(value: object) -> None:
    query = TaskQuery(sort=SortField.DUE_DATE, order=SortOrder.DESC)
    cursor = raw_cursor({"s": "due_date", "o": "desc", "v": value, "i": str(TASK_ID)})
    if value is None:
        assert read_cursor_payload(cursor, query).value is None  # null due dates are real positions
    else:
        with pytest.raises(InvalidQuery):
            read_cursor_payload(cursor, query)


@pytest.mark.parametrize(
    "title",
    [
        "nul\x00inside",  # PostgreSQL text cannot hold NUL: the query itself would fail
        "lone \ud800 surrogate",  # cannot be encoded for the database driver
        "bell\x07",
        "x" * 201,
        "",
        "   ",
    ],
)
def test_title_cursors_must_hold_a_title_a_task_could_have(title: str) -> None:
    query = TaskQuery(sort=SortField.TITLE)
    cursor = raw_cursor({"s": "title", "o": "asc", "v": title, "i": str(TASK_ID)})
    with pytest.raises(InvalidQuery):
        read_cursor_payload(cursor, query)


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 once in UTC
    ],
)
def test_timestamps_that_do_not_exist_in_utc_are_invalid(moment: str) -> None:
    query = TaskQuery(sort=SortField.CREATED)
    cursor = raw_cursor({"s": "created", "o": "desc", "v": moment, "i": str(TASK_ID)})
    with pytest.raises(InvalidQuery):
        read_cursor_payload(cursor, query)


def test_extreme_but_real_timestamps_decode_in_utc() -> None:
    query = TaskQuery(sort=SortField.CREATED, order=SortOrder.ASC)
    for text in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00"):
        cursor = raw_cursor({"s": "created", "o": "asc", "v": text, "i": str(TASK_ID)})
        decoded = read_cursor_payload(cursor, query)
        assert decoded.value == datetime.fromisoformat(text)


def decoded_values_are_sane(position: TaskPosition, query: TaskQuery) -> None:
    value = position.value
    if query.sort in (SortField.CREATED, SortField.UPDATED):
        assert isinstance(value, datetime)
        assert value.utcoffset() is not None
        value.astimezone(UTC)  # representable in UTC
    elif query.sort is SortField.TITLE:
        assert isinstance(value, str)
        value.encode("utf-8")  # no lone surrogates: the drivers must be able to send it
        assert normalize_title(value) == value  # a title some task could really have
    else:
        assert value is None or type(value) is date


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(cursor=st.binary(max_size=1100), query=st.sampled_from(ALL_QUERIES))
@example(cursor=b"a" * 1025, query=TaskQuery())
@example(cursor=b"=", query=TaskQuery())
def test_reading_arbitrary_bytes_only_ever_raises_invalid_query(
    cursor: bytes, query: TaskQuery
) -> None:
    try:
        position = read_cursor_payload(cursor, query)
    except InvalidQuery:
        return
    decoded_values_are_sane(position, query)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)
plausible_values = st.one_of(
    json_values,
    st.datetimes(timezones=st.timezones() | st.just(UTC)).map(datetime.isoformat),
    st.datetimes().map(datetime.isoformat),
    st.dates().map(date.isoformat),
    st.text(),
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    query=st.sampled_from(ALL_QUERIES),
    same_sort=st.booleans(),
    sort=st.sampled_from([*SortField, "nonsense"]),
    order=st.sampled_from([*SortOrder, "sideways"]),
    value=plausible_values,
    task_id=st.one_of(st.uuids().map(str), json_values),
)
@example(
    query=TaskQuery(sort=SortField.TITLE),
    same_sort=True,
    sort="",
    order="",
    value="\x00",
    task_id=str(TASK_ID),
)
@example(
    query=TaskQuery(sort=SortField.UPDATED),
    same_sort=True,
    sort="",
    order="",
    value="0001-01-01T00:00:00+00:01",
    task_id=str(TASK_ID),
)
def test_decoding_tampered_payloads_only_ever_raises_invalid_query(
    query: TaskQuery, same_sort: bool, sort: str, order: str, value: Any, task_id: Any
) -> None:
    if same_sort:  # mostly well-formed cursors with a tampered value: the interesting case
        sort, order = query.sort.value, query.direction.value
    cursor = raw_cursor({"s": str(sort), "o": str(order), "v": value, "i": task_id})
    try:
        position = read_cursor_payload(cursor, query)
    except InvalidQuery:
        return
    decoded_values_are_sane(position, query)
