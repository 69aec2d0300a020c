"""What a user's task list adds up to: the counts behind a "3 tasks left" badge, and the
tags in use. Each is one read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from application.ports import Clock, TagCount, TaskSummary, UnitOfWork


class GetTaskSummary:
    """Counts of the owner's tasks; ``today`` (overdue, due today) defaults to the UTC date."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, owner: str, *, today: date | None = None) -> TaskSummary:
        today = today or self._clock.now().date()
        async with self._uow as uow:
            return await uow.tasks.summary(owner, today=today)


class ListTags:
    """The owner's tags, by name, with how many tasks carry each."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, owner: str) -> Sequence[TagCount]:
        async with self._uow as uow:
            return await uow.tasks.tag_counts(owner)
