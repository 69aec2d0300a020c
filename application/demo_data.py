"""Realistic demo tasks for trying the API and for benchmarks (``todo-admin tasks seed``).

Every task is made by the aggregate (``Task.create`` then ``Task.edit``), so the demo data
obeys the same rules as real data: completing a task sets its ``completed_at``, and
completing a recurring one makes its next occurrence. The content comes from a
``random.Random`` (reproducible with a seed); ids come from ``Task.create`` (random UUIDs),
so seeding twice never clashes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from domain.fields import Priority
from domain.recurrence import Frequency, RecurrenceRule
from domain.task import Task, TaskChanges

# How far back creation dates go, and the share of tasks with each trait.
HISTORY = timedelta(days=180)
COMPLETED_SHARE = 0.4
DUE_DATE_SHARE = 0.6
DESCRIPTION_SHARE = 0.55
EDITED_SHARE = 0.3
# Of the tasks with a due date: those with a reminder, and those that repeat.
REMINDER_SHARE = 0.4
RECURRING_SHARE = 0.1
# Most tasks keep the default priority; few are urgent.
PRIORITY_WEIGHTS = {Priority.NONE: 45, Priority.LOW: 20, Priority.MEDIUM: 22, Priority.HIGH: 13}
# How many tags a task has (0 to 3), by weight.
TAG_COUNT_WEIGHTS = (35, 35, 20, 10)
# Mostly weekly, as chores are.
RECURRENCES = (
    RecurrenceRule(Frequency.WEEKLY, 1),
    RecurrenceRule(Frequency.WEEKLY, 1),
    RecurrenceRule(Frequency.WEEKLY, 2),
    RecurrenceRule(Frequency.DAILY, 1),
    RecurrenceRule(Frequency.MONTHLY, 1),
)
# Reminders go off at a usual hour: in the morning, or in the evening.
REMINDER_HOURS = (8, 9, 18)

_ACTIONS = {
    "Buy": [
        "milk",
        "groceries for the week",
        "a birthday present for Sam",
        "printer ink",
        "train tickets to Lyon",
        "new running shoes",
        "coffee beans",
        "a plant for the office",
    ],
    "Call": [
        "the dentist",
        "mum",
        "the landlord about the heating",
        "the bank",
        "Alex about the weekend",
        "the garage for a service slot",
        "the plumber",
    ],
    "Email": [
        "the team about the release",
        "Priya the meeting notes",
        "the accountant",
        "support about the broken invoice",
        "the school about the trip",
    ],
    "Review": [
        "pull request #{n}",
        "the Q{q} budget",
        "the onboarding checklist",
        "the contract draft",
        "last month's expenses",
        "the design mock-ups",
    ],
    "Write": [
        "the project update",
        "a blog post about keyset pagination",
        "thank-you notes",
        "the incident report for #{n}",
        "release notes for v{q}.{n}",
    ],
    "Fix": [
        "the leaking tap",
        "bug #{n} in the login form",
        "the bike's rear brake",
        "flaky test in the CI pipeline",
        "the broken garden gate",
    ],
    "Plan": [
        "the team offsite",
        "next sprint",
        "the summer holiday",
        "Sunday's dinner",
        "the move to the new flat",
        "a weekend hike",
    ],
    "Book": [
        "a table for Friday",
        "the car's MOT",
        "flights for the conference",
        "a haircut",
        "the meeting room for Tuesday",
    ],
    "Pay": [
        "the electricity bill",
        "rent",
        "the council tax",
        "the gym membership",
        "invoice #{n}",
    ],
    "Clean": [
        "the fridge",
        "the garage",
        "up the shared drive",
        "the windows",
        "the inbox down to zero",
    ],
    "Read": [
        "chapter {q} of the book club novel",
        "the architecture decision records",
        "the new security policy",
        "the paper on CRDTs",
    ],
    "Prepare": [
        "slides for the all-hands",
        "the tax return",
        "questions for the interview",
        "the quarterly report",
        "a packing list",
    ],
}
_DESCRIPTIONS = [
    "Before the end of the week.",
    "Ask for a quote first, then decide.",
    "Check the shared calendar for a free slot.",
    "Low priority, but don't forget it.",
    "Blocked until the other team replies.",
    "Bring the receipts.",
    "See the notes from the last meeting.",
    "Follow up if there is no answer by Thursday.",
    "Remember the discount code.",
    "Split it with the others afterwards.",
    "Steps:\n- gather the documents\n- fill in the form\n- send it",
    "Needs a second pair of eyes before it goes out.",
    "Keep it under an hour.",
    "Draft in the team folder.",
]


# The tags a task of each action may carry (a small vocabulary, all distinct ignoring case).
_TAGS = {
    "Buy": ("shopping", "errands", "home"),
    "Call": ("family", "health", "home"),
    "Email": ("work", "admin"),
    "Review": ("work", "finance"),
    "Write": ("work", "family"),
    "Fix": ("home", "work", "weekend"),
    "Plan": ("travel", "family", "work", "weekend"),
    "Book": ("travel", "health", "errands"),
    "Pay": ("finance", "home", "admin"),
    "Clean": ("home", "weekend"),
    "Read": ("work", "learning"),
    "Prepare": ("work", "finance", "travel"),
}


def _title(rng: random.Random) -> tuple[str, str]:
    """A title, and the action it starts with (which says what tags fit it)."""
    action = rng.choice(list(_ACTIONS))
    target = rng.choice(_ACTIONS[action]).format(n=rng.randint(2, 999), q=rng.randint(1, 4))
    return f"{action} {target}", action


def _description(rng: random.Random) -> str | None:
    if rng.random() >= DESCRIPTION_SHARE:
        return None
    return " ".join(rng.sample(_DESCRIPTIONS, rng.randint(1, 3)))


def _priority(rng: random.Random) -> Priority:
    return rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]


def _tags(rng: random.Random, action: str) -> tuple[str, ...]:
    pool = _TAGS[action]
    count = rng.choices(range(len(TAG_COUNT_WEIGHTS)), weights=TAG_COUNT_WEIGHTS)[0]
    return tuple(rng.sample(pool, min(count, len(pool))))


def _reminder(rng: random.Random, due_date: date, created_at: datetime) -> datetime | None:
    """On the due date or up to two days before it, at a usual hour (UTC); never before
    the task existed."""
    if rng.random() >= REMINDER_SHARE:
        return None
    day = due_date - timedelta(days=rng.randint(0, 2))
    remind_at = datetime.combine(day, time(rng.choice(REMINDER_HOURS)), tzinfo=UTC)
    return remind_at if remind_at > created_at else None


def _recurrence(rng: random.Random) -> RecurrenceRule | None:
    return rng.choice(RECURRENCES) if rng.random() < RECURRING_SHARE else None


def demo_task(owner: str, now: datetime, rng: random.Random, *, room: int = 2) -> list[Task]:
    """One plausible task created some time in the last ``HISTORY``, possibly edited and
    completed since (each change through the aggregate, so ``version`` counts them). A
    recurring task that was completed comes with the next occurrence its completion made,
    when there is ``room`` for two tasks; else it stays pending (a series is never cut)."""
    created_at = now - HISTORY * rng.random()
    title, action = _title(rng)
    due_date = remind_at = recurrence = None
    if rng.random() < DUE_DATE_SHARE:
        due_date = (created_at + timedelta(days=rng.randint(-3, 60))).date()
        remind_at = _reminder(rng, due_date, created_at)
        recurrence = _recurrence(rng)
    task = Task.create(
        user_id=owner,
        title=title,
        description=_description(rng),
        due_date=due_date,
        priority=_priority(rng),
        tags=_tags(rng, action),
        remind_at=remind_at,
        recurrence=recurrence,
        now=created_at,
    )
    age = now - created_at
    if rng.random() < EDITED_SHARE:
        task.edit(TaskChanges(title=_title(rng)[0]), created_at + age * rng.random() * 0.5)
    # Older tasks are more likely to be done.
    done = rng.random() < COMPLETED_SHARE * 2 * (age / HISTORY)
    if not done or (task.recurrence is not None and room < 2):
        return [task]
    edit = task.edit(TaskChanges(completed=True), created_at + age * (0.5 + rng.random() * 0.5))
    return [task] if edit.next_occurrence is None else [task, edit.next_occurrence]


def demo_tasks(owner: str, count: int, now: datetime, rng: random.Random) -> Iterator[Task]:
    """``count`` demo tasks; a next occurrence counts as one of them."""
    made = 0
    while made < count:
        for task in demo_task(owner, now, rng, room=count - made):
            yield task
            made += 1
