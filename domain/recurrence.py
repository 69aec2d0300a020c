"""Recurring tasks: a series of due dates, and the rules of a recurrence.

A series is ``starts_on`` plus k times ``interval`` days, weeks, months or years (k = 0, 1, 2, …).
Month and year steps are always counted from ``starts_on`` and keep its day of the month,
clamped to the month's last day: a series starting on Jan 31 runs Feb 28 (or 29), Mar 31,
Apr 30, …, and one starting on Feb 29 runs to Feb 28 in common years and Feb 29 in leap
years. Counting from the start (never from the previous occurrence) is what keeps the
series from drifting.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.errors import InvalidTaskField

INTERVAL_MAX = 365


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"


_DAYS_PER_STEP = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}
_MONTHS_PER_STEP = {Frequency.MONTHLY: 1, Frequency.YEARLY: 12}


@dataclass(frozen=True)
class RecurrenceRule:
    """How a task repeats, as a client sets it: every ``interval`` days, weeks, months or
    years."""

    frequency: Frequency
    interval: int

    def __post_init__(self) -> None:
        check_interval(self.interval)

    def same_rule(self, other: RecurrenceRule | None) -> bool:
        return other is not None and (other.frequency, other.interval) == (
            self.frequency,
            self.interval,
        )


@dataclass(frozen=True)
class Recurrence(RecurrenceRule):
    """A rule anchored to its series: ``starts_on`` is the task's due date when the rule was
    set."""

    starts_on: date

    def occurrence(self, k: int) -> date:
        """The k-th date of the series (k ≥ 0); ``OverflowError`` past the year 9999."""
        days = _DAYS_PER_STEP.get(self.frequency)
        if days is not None:
            return self.starts_on + timedelta(days=k * self.interval * days)
        return add_months(self.starts_on, k * self.interval * _MONTHS_PER_STEP[self.frequency])

    def next_after(self, after: date) -> date | None:
        """The first date of the series after ``after``; ``None`` if that would be past the
        last date the calendar has (the series has ended)."""
        try:
            return self.occurrence(self._first_step_after(after))
        except OverflowError:
            return None

    def _first_step_after(self, after: date) -> int:
        if after < self.starts_on:
            return 0
        days = _DAYS_PER_STEP.get(self.frequency)
        if days is not None:
            return (after - self.starts_on).days // (self.interval * days) + 1
        step = self.interval * _MONTHS_PER_STEP[self.frequency]
        months = (after.year - self.starts_on.year) * 12 + after.month - self.starts_on.month
        k = -(-months // step)  # the first step that reaches after's month
        return k if self.occurrence(k) > after else k + 1


def check_interval(interval: int) -> int:
    if isinstance(interval, bool) or not 1 <= interval <= INTERVAL_MAX:
        raise InvalidTaskField("recurrence.interval", f"must be between 1 and {INTERVAL_MAX}")
    return interval


def add_months(start: date, months: int) -> date:
    """``start`` moved by ``months`` calendar months, its day clamped to the month's end."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if not date.min.year <= year <= date.max.year:
        raise OverflowError("date out of range")
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))
