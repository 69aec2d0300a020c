"""Ports: what the use cases need from the outside world, as small Protocols."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from application.queries import TaskQuery
from domain.fields import Priority
from domain.task import Task


class Clock(Protocol):
    """Gives the current time, timezone-aware, in UTC."""

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class OwnerTaskCount:
    owner: str
    tasks: int


@dataclass(frozen=True)
class TaskStats:
    """Store-wide counts: owners with at least one task, tasks, completed tasks, and the
    owners with the most tasks (most first, ties by owner id)."""

    owners: int
    tasks: int
    completed: int
    largest: Sequence[OwnerTaskCount]

    @property
    def completed_ratio(self) -> float | None:
        """Completed tasks / tasks, or ``None`` when there are no tasks."""
        return self.completed / self.tasks if self.tasks else None


@dataclass(frozen=True)
class TaskSummary:
    """One owner's counts: all tasks, pending and completed; pending tasks overdue (due
    before ``today``) and due today; pending tasks by priority."""

    total: int
    pending: int
    completed: int
    overdue: int
    due_today: int
    by_priority: Mapping[Priority, int]


@dataclass(frozen=True)
class TagCount:
    """A tag as first seen (its oldest task's spelling) and how many tasks carry it."""

    name: str
    count: int


class TaskRepository(Protocol):
    """Tasks of one store. Every call names the owner, so no query can forget the user."""

    async def add(self, task: Task) -> None: ...

    async def add_within(self, task: Task, *, max_tasks: int) -> bool:
        """Insert ``task`` only while its owner has fewer than ``max_tasks`` tasks: the
        count and the insert are one statement. Returns whether it was inserted."""
        ...

    async def count(self, owner: str) -> int:
        """How many tasks the owner has."""
        ...

    async def get(self, owner: str, task_id: uuid.UUID) -> Task | None: ...

    async def list(self, owner: str, query: TaskQuery) -> Sequence[Task]:
        """The owner's tasks matching ``query``, in its order, after its position, at most
        ``query.limit`` of them."""
        ...

    async def update(self, task: Task, *, expected_version: int) -> bool:
        """Write ``task`` if the stored one still has ``expected_version``; the check and the
        write are one atomic step. Returns whether it was written."""
        ...

    async def remove(
        self, owner: str, task_id: uuid.UUID, *, expected_version: int | None = None
    ) -> bool:
        """Delete the task (only at ``expected_version`` when given). Returns whether it was."""
        ...

    async def get_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> Sequence[Task]:
        """The owner's tasks among ``task_ids`` (any order; the others' are missing)."""
        ...

    async def remove_many(self, owner: str, task_ids: Collection[uuid.UUID]) -> int:
        """Delete the owner's tasks among ``task_ids``. Returns how many there were."""
        ...

    async def remove_completed(self, owner: str) -> int:
        """Delete the owner's completed tasks. Returns how many there were."""
        ...

    async def summary(self, owner: str, *, today: date) -> TaskSummary:
        """The owner's counts, in one read."""
        ...

    async def tag_counts(self, owner: str) -> Sequence[TagCount]:
        """The owner's tags, ordered by name ignoring case, each with its task count."""
        ...

    # Bulk operations of the admin CLI (import, seed, purge, stats).

    async def add_many(self, tasks: Sequence[Task]) -> None:
        """Insert new tasks in one batch (possibly of several owners). Raises
        ``DuplicateTaskId`` when one of the ids exists, at the latest on commit."""
        ...

    async def owners_of(self, task_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, str]:
        """The owner of each of these ids that is taken, whoever owns it: lets a bulk
        import report an id clash per record before writing. Reveals no task content."""
        ...

    async def remove_all(self, owner: str) -> int:
        """Delete every task of ``owner``. Returns how many there were."""
        ...

    async def stats(self, *, top: int) -> TaskStats:
        """Counts over every owner (the one read not scoped by owner: aggregates only)."""
        ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """A create that ran under an ``Idempotency-Key``: what was asked (the fingerprint)
    and the task as it was first created, to answer retries with the same response.
    ``task`` is ``None`` once that task has been deleted: its content does not outlive it
    (the store forgets it in the transaction that deletes the task)."""

    owner: str
    key: str
    fingerprint: str
    task: Task | None
    created_at: datetime


class IdempotencyRepository(Protocol):
    """Idempotency keys, per owner. ``add`` raises ``IdempotencyKeyTaken`` when the owner
    already has the key (possibly from a concurrent request), at the latest on commit."""

    async def get(
        self, owner: str, key: str, *, created_after: datetime
    ) -> IdempotencyRecord | None: ...

    async def add(self, record: IdempotencyRecord) -> None: ...

    async def release_expired(self, owner: str, key: str, *, created_before: datetime) -> bool:
        """Delete the owner's record of ``key`` if it was made before ``created_before``
        (so the key can be used again before the sweep got to it). Returns whether it was."""
        ...

    async def remove_expired(self, *, created_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` records of any owner made before ``created_before``,
        oldest first (the periodic sweep). Returns how many were deleted."""
        ...

    async def remove_all(self, owner: str) -> int:
        """Delete every key of ``owner`` (right to erasure). Returns how many there were."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``async with uow:`` then ``await uow.commit()``; leaving the block
    without committing rolls everything back."""

    tasks: TaskRepository
    idempotency: IdempotencyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


@dataclass(frozen=True)
class Identity:
    """Who is calling: the identity provider's user id (the token's ``sub``), and until when
    the credential that proved it is valid (the token's ``exp``, seconds since the epoch)."""

    user_id: str
    expires_at: float | None = None


class TokenVerifier(Protocol):
    """Turns a bearer token into an identity, or raises ``InvalidToken`` (the token is not
    acceptable) or ``IdentityProviderUnavailable`` (it cannot be checked right now)."""

    async def verify(self, token: str) -> Identity: ...


@dataclass(frozen=True)
class RateDecision:
    """One request weighed against a per-key limit of ``limit`` requests a ``window``.

    ``remaining``: requests still allowed right now; ``retry_after``: seconds until the
    next one is (0 when this one was); ``reset_after``: seconds until the whole allowance
    is back."""

    allowed: bool
    limit: int
    window: float
    remaining: int
    retry_after: float
    reset_after: float


class RateLimiter(Protocol):
    """Counts requests per key (a user id) and says whether each one is within the limit."""

    async def acquire(self, key: str) -> RateDecision: ...


class CursorSealer(Protocol):
    """Makes page cursors opaque: a sealed cursor shows nothing of the tasks in clear, cannot
    be forged or altered, and opens on every process of the service (they share the key)."""

    async def seal(self, data: bytes) -> str: ...

    async def unseal(self, cursor: str) -> bytes:
        """The ``data`` a ``seal`` of this service made; ``ValueError`` for anything else."""
        ...


class HealthProbe(Protocol):
    """Whether the store can serve requests right now: returns if it can, raises
    ``StorageUnavailable`` if it cannot be reached, ``SchemaNotReady`` if it is not
    migrated."""

    async def check_ready(self) -> None: ...
