"""Bulk data for benchmarks: COPY rows straight into a migrated PostgreSQL database, and
throw-away databases to put them in.

Every task is made by the aggregate (``Task.restore``) and written with the service's own
row mapping and ``COPY`` statements (``adapters.sql.mapping``, ``adapters.sql.repository``),
so derived columns (``title_key``, ``priority_key``, the ``task_tags`` rows) are exactly the
service's."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from adapters.sql.engine import normalize_database_url
from adapters.sql.mapping import row_values, tag_rows
from adapters.sql.migrate import upgrade

# The repository's bulk load (``add_many`` on PostgreSQL): every column, in the table's order.
from adapters.sql.repository import _COPY_TAGS, _COPY_TASKS, _copy_values
from domain.recurrence import Frequency, RecurrenceRule
from domain.task import NewTask, Priority, Task

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = [
    "buy", "call", "email", "fix", "plan", "read", "write", "review",
    "pay", "book", "clean", "send", "draft", "ship", "test",
]  # fmt: skip
# Priorities: 40 % none, 25 % low, 20 % medium, 15 % high.
PRIORITY_WEIGHTS = {Priority.NONE: 40, Priority.LOW: 25, Priority.MEDIUM: 20, Priority.HIGH: 15}
# 30 tags, most used first; a tag's weight is 1 / rank^1.5 (Zipf): "work" is on about one
# tagged task in two, the last few on well under 1 %.
TAGS = [
    "work", "home", "errands", "urgent", "family", "health", "finance", "shopping",
    "reading", "garden", "car", "travel", "school", "music", "sport", "cooking",
    "taxes", "insurance", "birthday", "pets", "kids", "volunteering", "photography",
    "language", "side-project", "conference", "renovation", "wedding", "visa", "moving",
]  # fmt: skip
TAG_WEIGHTS = [1 / rank**1.5 for rank in range(1, len(TAGS) + 1)]
# How many tags a task has: 0 to 3, a mean of one.
TAG_COUNT_WEIGHTS = [40, 30, 20, 10]
DUE_DATE_SHARE = 0.75  # due dates spread over 2025-01-01 .. 2026-11-30
REMINDER_SHARE = 0.3  # of the tasks with a due date: a reminder 0-2 days before, 09:00 UTC
RECURRING_SHARE = 0.05  # of the tasks with a due date: weekly or monthly
FIRST_DUE = date(2025, 1, 1)
DUE_SPAN_DAYS = 700
CHUNK = 10_000  # tasks per pair of COPYs (tasks, then their tags)


@contextmanager
def scratch_database(server_url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new, migrated database on the server; dropped afterwards unless ``keep``."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(normalize_database_url(url))
        yield url
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def seed_tasks(
    conn: psycopg.Connection, owners: Iterable[str], *, seed: int = 42
) -> dict[str, list[uuid.UUID]]:
    """One task per element of ``owners`` (repeat an owner to give it more), COPYed with
    their tags in one transaction. Returns each owner's task ids."""
    rng = random.Random(seed)
    ids: dict[str, list[uuid.UUID]] = {}
    tasks = (make_task(rng, n, owner) for n, owner in enumerate(owners))
    with conn.cursor() as cur:
        while chunk := list(itertools.islice(tasks, CHUNK)):
            with cur.copy(_COPY_TASKS) as copy:
                for task in chunk:
                    ids.setdefault(task.user_id, []).append(task.id)
                    copy.write_row(_copy_values(row_values(task)))
            with cur.copy(_COPY_TAGS) as copy:
                for task in chunk:
                    for row in tag_rows(task):
                        copy.write_row(list(row.values()))
    conn.commit()
    return ids


def make_task(rng: random.Random, n: int, owner: str) -> Task:
    """The ``n``-th seeded task: created 37 s after the previous one (give or take)."""
    task_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} #{n}"
    created = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=n * 37 + rng.randrange(30))
    due = None
    if rng.random() < DUE_DATE_SHARE:
        due = FIRST_DUE + timedelta(days=rng.randrange(DUE_SPAN_DAYS))
    remind_at = recurrence = None
    if due is not None and rng.random() < REMINDER_SHARE:
        remind_at = datetime.combine(due - timedelta(days=rng.randrange(3)), time(9), UTC)
    if due is not None and rng.random() < RECURRING_SHARE:
        recurrence = RecurrenceRule(rng.choice([Frequency.WEEKLY, Frequency.MONTHLY]), 1)
    fields = NewTask(
        title=title,
        description=None if n % 3 else f"Notes for {title.lower()}",
        completed=rng.random() < 0.4,
        due_date=due,
        priority=rng.choices(list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))[0],
        tags=_tags(rng),
        remind_at=remind_at,
        recurrence=recurrence,
    )
    updated = created + timedelta(minutes=rng.randrange(10_000))
    return Task.restore(
        fields, task_id=task_id, user_id=owner, created_at=created, updated_at=updated
    )


def _tags(rng: random.Random) -> tuple[str, ...]:
    """0-3 distinct tags from the long-tailed vocabulary; one in twenty capitalised."""
    wanted = rng.choices(range(len(TAG_COUNT_WEIGHTS)), TAG_COUNT_WEIGHTS)[0]
    chosen: list[str] = []
    while len(chosen) < wanted:
        tag = rng.choices(TAGS, TAG_WEIGHTS)[0]
        if tag not in chosen:
            chosen.append(tag)
    return tuple(tag.title() if rng.random() < 0.05 else tag for tag in chosen)
