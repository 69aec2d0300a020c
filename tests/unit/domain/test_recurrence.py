"""The recurrence series: pure date arithmetic, checked by example and by property."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.errors import InvalidTaskField
from domain.recurrence import Frequency, Recurrence, RecurrenceRule, add_months

frequencies = st.sampled_from(list(Frequency))
intervals = st.integers(1, 365)
starts = st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31))
series = st.builds(Recurrence, frequencies, intervals, starts)


def test_a_series_starting_on_jan_31_clamps_to_each_months_last_day() -> None:
    monthly = Recurrence(Frequency.MONTHLY, 1, date(2025, 1, 31))
    assert [monthly.occurrence(k) for k in range(5)] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]
    leap = Recurrence(Frequency.MONTHLY, 1, date(2024, 1, 31))
    assert leap.occurrence(1) == date(2024, 2, 29)


def test_a_yearly_series_from_feb_29_runs_to_feb_28_in_common_years() -> None:
    yearly = Recurrence(Frequency.YEARLY, 1, date(2024, 2, 29))
    assert [yearly.occurrence(k) for k in range(5)] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_next_after_an_occurrence_does_not_drift() -> None:
    """From Jan 31, completing the Feb 28 occurrence gives Mar 31, not Mar 28."""
    monthly = Recurrence(Frequency.MONTHLY, 1, date(2025, 1, 31))
    assert monthly.next_after(date(2025, 2, 28)) == date(2025, 3, 31)


@pytest.mark.parametrize(
    ("frequency", "interval", "after", "expected"),
    [
        (Frequency.DAILY, 1, date(2025, 1, 1), date(2025, 1, 2)),
        (Frequency.DAILY, 3, date(2025, 1, 2), date(2025, 1, 4)),
        (Frequency.WEEKLY, 2, date(2025, 1, 1), date(2025, 1, 15)),
        (Frequency.MONTHLY, 3, date(2025, 1, 1), date(2025, 4, 1)),
        (Frequency.YEARLY, 1, date(2025, 1, 1), date(2026, 1, 1)),
        (Frequency.DAILY, 1, date(2024, 12, 1), date(2025, 1, 1)),  # before the start
    ],
)
def test_next_after_examples(
    frequency: Frequency, interval: int, after: date, expected: date
) -> None:
    assert Recurrence(frequency, interval, date(2025, 1, 1)).next_after(after) == expected


def test_a_series_past_the_calendar_has_ended() -> None:
    assert Recurrence(Frequency.DAILY, 1, date(9999, 12, 30)).next_after(date(9999, 12, 31)) is None
    assert Recurrence(Frequency.YEARLY, 1, date(9999, 1, 1)).next_after(date(9999, 1, 1)) is None


@pytest.mark.parametrize("interval", [0, -1, 366, True])
def test_an_interval_out_of_range_is_refused(interval: int) -> None:
    with pytest.raises(InvalidTaskField) as caught:
        RecurrenceRule(Frequency.DAILY, interval)
    assert caught.value.field == "recurrence.interval"


def _index_on_series(recurrence: Recurrence, day: date) -> int | None:
    """The k with ``day`` the k-th date of the series, found without next_after; ``None``
    when ``day`` is not on the series."""
    start = recurrence.starts_on
    if recurrence.frequency in (Frequency.DAILY, Frequency.WEEKLY):
        step = recurrence.interval * (7 if recurrence.frequency is Frequency.WEEKLY else 1)
        days = (day - start).days
        return days // step if days >= 0 and days % step == 0 else None
    months_per_step = recurrence.interval * (12 if recurrence.frequency is Frequency.YEARLY else 1)
    months = (day.year - start.year) * 12 + day.month - start.month
    if months < 0 or months % months_per_step or day != add_months(start, months):
        return None
    return months // months_per_step


@given(recurrence=series, after=starts)
def test_the_next_date_is_after_the_completed_one_and_on_the_series(
    recurrence: Recurrence, after: date
) -> None:
    following = recurrence.next_after(after)
    assume(following is not None)
    assert following is not None
    assert following > after
    k = _index_on_series(recurrence, following)
    assert k is not None
    # The first such date: the one before it (if any) is not after ``after``.
    assert k == 0 or recurrence.occurrence(k - 1) <= after


@given(recurrence=series, k=st.integers(0, 200))
def test_stepping_from_any_occurrence_gives_the_series_own_next_date(
    recurrence: Recurrence, k: int
) -> None:
    try:
        here, there = recurrence.occurrence(k), recurrence.occurrence(k + 1)
    except OverflowError:
        assume(False)
    assert recurrence.next_after(here) == there


@given(
    frequency=st.sampled_from([Frequency.MONTHLY, Frequency.YEARLY]),
    interval=intervals,
    start=starts,
    k=st.integers(0, 100),
)
def test_month_and_year_steps_keep_the_start_day_wherever_the_month_has_it(
    frequency: Frequency, interval: int, start: date, k: int
) -> None:
    recurrence = Recurrence(frequency, interval, start)
    try:
        day = recurrence.occurrence(k)
    except OverflowError:
        assume(False)
    last = calendar.monthrange(day.year, day.month)[1]
    assert day.day == min(start.day, last)
