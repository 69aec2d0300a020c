"""Realistic demo tasks for trying the API and for benchmarks (``todo-admin tasks seed``).

Every task is made by the aggregate (``Task.create`` then ``apply``), so the demo data obeys
the same rules as real data. The content comes from a ``random.Random`` (reproducible with a
seed); ids come from ``Task.create`` (random UUIDs), so seeding twice never clashes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from domain.task import Task, TaskChanges

# How far back creation dates go, and the share of tasks with each trait.
HISTORY = timedelta(days=180)
COMPLETED_SHARE = 0.4
DUE_DATE_SHARE = 0.6
DESCRIPTION_SHARE = 0.55
EDITED_SHARE = 0.3

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


def _title(rng: random.Random) -> str:
    action = rng.choice(list(_ACTIONS))
    target = rng.choice(_ACTIONS[action]).format(n=rng.randint(2, 999), q=rng.randint(1, 4))
    return f"{action} {target}"


def _description(rng: random.Random) -> str | None:
    if rng.random() >= DESCRIPTION_SHARE:
        return None
    return " ".join(rng.sample(_DESCRIPTIONS, rng.randint(1, 3)))


def demo_task(owner: str, now: datetime, rng: random.Random) -> Task:
    """One plausible task created some time in the last ``HISTORY``, possibly edited and
    completed since (each change through the aggregate, so ``version`` counts them)."""
    created_at = now - HISTORY * rng.random()
    due_date = None
    if rng.random() < DUE_DATE_SHARE:
        due_date = (created_at + timedelta(days=rng.randint(-3, 60))).date()
    task = Task.create(
        user_id=owner,
        title=_title(rng),
        description=_description(rng),
        due_date=due_date,
        now=created_at,
    )
    age = now - created_at
    if rng.random() < EDITED_SHARE:
        task.apply(TaskChanges(title=_title(rng)), created_at + age * rng.random() * 0.5)
    # Older tasks are more likely to be done.
    if rng.random() < COMPLETED_SHARE * 2 * (age / HISTORY):
        task.apply(TaskChanges(completed=True), created_at + age * (0.5 + rng.random() * 0.5))
    return task


def demo_tasks(owner: str, count: int, now: datetime, rng: random.Random) -> Iterator[Task]:
    for _ in range(count):
        yield demo_task(owner, now, rng)
