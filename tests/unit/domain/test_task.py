"""The Task aggregate's rules."""

from __future__ import annotations

import copy
import unicodedata
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, InvalidTaskField
from domain.task import (
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    UNSET,
    Task,
    TaskChanges,
)
from tests.fakes import T0, fields_of

OWNER = "user-1"

# Text without control characters (Cc) or lone surrogates (Cs): what a field may hold.
clean_chars = st.characters(exclude_categories=("Cc", "Cs"))
clean_text = st.text(alphabet=clean_chars)
valid_titles = st.text(alphabet=clean_chars, min_size=1, max_size=TITLE_MAX_LENGTH + 20).filter(
    lambda s: 1 <= len(s.strip()) <= TITLE_MAX_LENGTH
)
description_chars = st.one_of(clean_chars, st.sampled_from("\t\n\r"))
valid_descriptions = st.text(alphabet=description_chars, max_size=DESCRIPTION_MAX_LENGTH)
forbidden_controls = st.characters(categories=["Cc"]).filter(lambda c: c not in "\t\n\r")


def make_task(**overrides: object) -> Task:
    fields: dict[str, object] = {"user_id": OWNER, "title": "Buy milk", "now": T0}
    fields.update(overrides)
    return Task.create(**fields)  # type: ignore[arg-type]


# --- creation -----------------------------------------------------------------------------


def test_create_sets_every_field() -> None:
    task = Task.create(
        user_id=OWNER,
        title="Write report",
        description="for Monday",
        completed=True,
        due_date=date(2025, 2, 3),
        now=T0,
    )
    assert task.user_id == OWNER
    assert task.title == "Write report"
    assert task.description == "for Monday"
    assert task.completed is True
    assert task.due_date == date(2025, 2, 3)
    assert task.created_at == task.updated_at == T0
    assert task.version == 1
    assert isinstance(task.id, uuid.UUID)
    assert task.id.version == 4


def test_create_defaults() -> None:
    task = make_task()
    assert task.description is None
    assert task.completed is False
    assert task.due_date is None


def test_ids_are_unique_uuids_made_by_the_domain() -> None:
    ids = {make_task().id for _ in range(1000)}
    assert len(ids) == 1000


def test_a_given_task_id_is_kept() -> None:
    task_id = uuid.uuid4()
    assert make_task(task_id=task_id).id == task_id


def test_timestamps_come_from_the_given_now() -> None:
    moment = datetime(2030, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
    task = make_task(now=moment)
    assert task.created_at == moment
    assert task.updated_at == moment


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_task(now=datetime(2025, 1, 1, 12, 0))


def test_naive_now_is_refused_when_editing() -> None:
    task = make_task()
    before = fields_of(task)
    with pytest.raises(ValueError, match="timezone-aware"):
        task.apply(TaskChanges(title="New"), datetime(2025, 1, 1, 12, 0))
    assert fields_of(task) == before


def test_invalid_task_field_is_a_domain_error() -> None:
    with pytest.raises(DomainError):
        make_task(title="")


# --- title ----------------------------------------------------------------------------------


@given(title=valid_titles)
def test_any_title_of_1_to_200_chars_after_trimming_is_accepted_trimmed(title: str) -> None:
    task = make_task(title=title)
    assert task.title == title.strip()
    assert 1 <= len(task.title) <= TITLE_MAX_LENGTH


@pytest.mark.parametrize(
    "title", ["", " ", "   ", "\t", "\n", " \t\r\n ", "\u00a0\u2003", "\u3000"]
)
def test_blank_titles_are_refused(title: str) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(title=title)
    assert error.value.field == "title"


@given(padding=st.text(alphabet=" \t", max_size=5), extra=st.integers(1, 50))
def test_titles_over_200_chars_after_trimming_are_refused(padding: str, extra: int) -> None:
    title = padding + "x" * (TITLE_MAX_LENGTH + extra) + padding
    with pytest.raises(InvalidTaskField) as error:
        make_task(title=title)
    assert error.value.field == "title"


def test_title_limits_are_exact() -> None:
    assert make_task(title="x").title == "x"
    assert make_task(title="x" * 200).title == "x" * 200
    assert make_task(title="  " + "x" * 200 + "  ").title == "x" * 200
    with pytest.raises(InvalidTaskField):
        make_task(title="x" * 201)


def test_title_length_counts_characters_not_bytes() -> None:
    title = "é" * 200  # 400 bytes of UTF-8
    assert make_task(title=title).title == title
    emoji = "🎉" * 200
    assert make_task(title=emoji).title == emoji


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\t", "\n", "\r"])
def test_control_characters_inside_a_title_are_refused(control: str) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(title=f"Buy{control}milk")
    assert error.value.field == "title"


@given(
    control=forbidden_controls,
    prefix=st.text(alphabet=clean_chars, max_size=90),
    suffix=st.text(alphabet=clean_chars, max_size=90),
)
def test_any_control_character_in_a_title_is_refused(
    control: str, prefix: str, suffix: str
) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(title=f"a{prefix}{control}{suffix}b")
    assert error.value.field == "title"


def test_unpaired_surrogates_are_refused_in_titles() -> None:
    for surrogate in ("\ud800", "\udfff", "\udc80"):
        with pytest.raises(InvalidTaskField) as error:
            make_task(title=f"a{surrogate}b")
        assert error.value.field == "title"


# --- description ----------------------------------------------------------------------------


@given(description=valid_descriptions)
def test_any_description_up_to_1000_chars_is_accepted_as_is(description: str) -> None:
    assert make_task(description=description).description == description


@given(extra=st.integers(1, 100))
def test_descriptions_over_1000_chars_are_refused(extra: int) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(description="d" * (DESCRIPTION_MAX_LENGTH + extra))
    assert error.value.field == "description"


def test_description_limit_is_exact() -> None:
    assert make_task(description="d" * 1000).description == "d" * 1000
    with pytest.raises(InvalidTaskField):
        make_task(description="d" * 1001)


def test_description_keeps_tabs_newlines_and_surrounding_whitespace() -> None:
    text = "  line 1\n\tline 2\r\nline 3  "
    assert make_task(description=text).description == text


@pytest.mark.parametrize(
    "control", ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x9f"]
)
def test_other_control_characters_are_refused_in_descriptions(control: str) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(description=f"abc{control}def")
    assert error.value.field == "description"


@given(control=forbidden_controls)
def test_any_forbidden_control_character_is_refused_in_descriptions(control: str) -> None:
    assert unicodedata.category(control) == "Cc"
    with pytest.raises(InvalidTaskField):
        make_task(description=f"x{control}")


def test_unpaired_surrogates_are_refused_in_descriptions() -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(description="bad \ud83d half emoji")
    assert error.value.field == "description"


def test_description_none_is_no_description() -> None:
    assert make_task(description=None).description is None


# --- user id --------------------------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["", " ", "\t\n"])
def test_blank_user_ids_are_refused(user_id: str) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(user_id=user_id)
    assert error.value.field == "user_id"


def test_user_id_limits() -> None:
    assert make_task(user_id="u" * 255).user_id == "u" * 255
    with pytest.raises(InvalidTaskField) as error:
        make_task(user_id="u" * 256)
    assert error.value.field == "user_id"


@pytest.mark.parametrize("user_id", ["user\x00", "a\nb", "a\tb", "\ud800"])
def test_user_ids_with_control_characters_or_surrogates_are_refused(user_id: str) -> None:
    with pytest.raises(InvalidTaskField) as error:
        make_task(user_id=user_id)
    assert error.value.field == "user_id"


def test_user_id_is_the_providers_opaque_subject_kept_verbatim() -> None:
    for user_id in ("4dC1x9Qd0dO5", "auth0|abc", "ünïcode-sub", str(uuid.uuid4())):
        assert make_task(user_id=user_id).user_id == user_id


# --- editing ----------------------------------------------------------------------------------


def test_unset_changes_nothing() -> None:
    task = make_task(description="d", due_date=date(2025, 1, 1))
    before = fields_of(task)
    assert task.apply(TaskChanges(), T0 + timedelta(hours=1)) is False
    assert fields_of(task) == before


def test_unset_is_a_falsy_singleton_distinct_from_none() -> None:
    assert TaskChanges().title is UNSET
    assert UNSET is not None
    assert not UNSET
    assert type(UNSET)() is UNSET
    assert repr(UNSET) == "UNSET"


def test_edit_changes_only_the_given_fields() -> None:
    task = make_task(description="keep me", due_date=date(2025, 3, 1))
    later = T0 + timedelta(minutes=5)
    assert task.apply(TaskChanges(title="  New title "), later) is True
    assert task.title == "New title"
    assert task.description == "keep me"
    assert task.due_date == date(2025, 3, 1)
    assert task.completed is False
    assert task.version == 2
    assert task.updated_at == later
    assert task.created_at == T0


def test_none_clears_description_and_due_date() -> None:
    task = make_task(description="something", due_date=date(2025, 3, 1))
    later = T0 + timedelta(seconds=1)
    assert task.apply(TaskChanges(description=None, due_date=None), later) is True
    assert task.description is None
    assert task.due_date is None
    assert task.version == 2
    assert task.updated_at == later


def test_multi_field_edit_bumps_version_exactly_once() -> None:
    task = make_task()
    later = T0 + timedelta(seconds=1)
    changes = TaskChanges(
        title="Other", description="new", completed=True, due_date=date(2026, 1, 1)
    )
    assert task.apply(changes, later) is True
    assert (task.title, task.description, task.completed, task.due_date) == (
        "Other",
        "new",
        True,
        date(2026, 1, 1),
    )
    assert task.version == 2


def test_setting_the_values_already_there_is_a_no_op() -> None:
    task = make_task(title="Same", description="d", due_date=date(2025, 1, 1))
    before = fields_of(task)
    changes = TaskChanges(
        title="  Same  ", description="d", completed=False, due_date=date(2025, 1, 1)
    )
    assert task.apply(changes, T0 + timedelta(days=1)) is False
    assert fields_of(task) == before


def test_clearing_what_is_already_empty_is_a_no_op() -> None:
    task = make_task()
    before = fields_of(task)
    assert task.apply(TaskChanges(description=None, due_date=None), T0 + timedelta(1)) is False
    assert fields_of(task) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (TaskChanges(title="ok", description="d" * 1001, completed=True), "description"),
        (TaskChanges(title="   ", description="fine", due_date=date(2030, 1, 1)), "title"),
        (TaskChanges(title="x" * 201, completed=True), "title"),
        (TaskChanges(completed=True, description="nul\x00"), "description"),
        (TaskChanges(title="bell\x07", due_date=None), "title"),
    ],
)
def test_a_bad_field_in_a_multi_field_edit_changes_nothing(
    changes: TaskChanges, field: str
) -> None:
    task = make_task(description="original", due_date=date(2025, 5, 5))
    before = fields_of(task)
    with pytest.raises(InvalidTaskField) as error:
        task.apply(changes, T0 + timedelta(hours=1))
    assert error.value.field == field
    assert fields_of(task) == before


def test_updated_at_never_goes_backwards() -> None:
    task = make_task()
    assert task.apply(TaskChanges(title="Earlier clock"), T0 - timedelta(hours=1)) is True
    assert task.updated_at == T0
    assert task.version == 2


def test_updated_at_accepts_other_offsets() -> None:
    task = make_task()
    plus_two = timezone(timedelta(hours=2))
    later = (T0 + timedelta(minutes=1)).astimezone(plus_two)
    task.apply(TaskChanges(completed=True), later)
    assert task.updated_at == T0 + timedelta(minutes=1)


def test_toggle_completed_flips_and_bumps() -> None:
    task = make_task()
    t1, t2 = T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)
    task.toggle_completed(t1)
    assert task.completed is True
    assert task.version == 2
    assert task.updated_at == t1
    task.toggle_completed(t2)
    assert task.completed is False
    assert task.version == 3
    assert task.updated_at == t2


# --- identity ------------------------------------------------------------------------------


def test_equality_is_identity_by_id() -> None:
    task = make_task(title="A")
    twin = copy.copy(task)
    twin.apply(TaskChanges(title="B", completed=True), T0 + timedelta(1))
    assert twin == task
    assert hash(twin) == hash(task)
    assert len({task, twin}) == 1


def test_tasks_with_the_same_fields_but_other_ids_differ() -> None:
    a = make_task(title="Same")
    b = make_task(title="Same")
    assert a != b
    assert len({a, b}) == 2


def test_a_task_never_equals_a_non_task() -> None:
    task = make_task()
    assert task != task.id
    assert task != str(task.id)
    assert task != fields_of(task)


# --- any sequence of edits -------------------------------------------------------------------

edits = st.builds(
    TaskChanges,
    title=st.one_of(st.just(UNSET), st.sampled_from(["a", "b", " a ", "c"])),
    description=st.one_of(st.just(UNSET), st.none(), st.sampled_from(["x", "y"])),
    completed=st.one_of(st.just(UNSET), st.booleans()),
    due_date=st.one_of(
        st.just(UNSET), st.none(), st.sampled_from([date(2025, 1, 1), date(2025, 1, 2)])
    ),
)


@settings(max_examples=200)
@given(changes=st.lists(edits, max_size=25), steps=st.lists(st.integers(0, 3600), min_size=25))
def test_version_counts_effective_changes(changes: list[TaskChanges], steps: list[int]) -> None:
    task = make_task(title="a")
    effective = 0
    now = T0
    for edit, step in zip(changes, steps, strict=False):
        now += timedelta(seconds=step)
        before = fields_of(task)
        before_updated_at = task.updated_at
        expected_title = before[2] if edit.title is UNSET else str(edit.title).strip()
        expected = (
            expected_title,
            before[3] if edit.description is UNSET else edit.description,
            before[4] if edit.completed is UNSET else edit.completed,
            before[5] if edit.due_date is UNSET else edit.due_date,
        )
        changed = task.apply(edit, now)
        assert (task.title, task.description, task.completed, task.due_date) == expected
        assert changed == (expected != before[2:6])
        if changed:
            effective += 1
            assert task.updated_at == max(now, before_updated_at)
        else:
            assert fields_of(task) == before
        assert task.version == 1 + effective
    assert task.created_at == T0
