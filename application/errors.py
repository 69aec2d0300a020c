"""Errors the use cases raise; the entrypoints map each to a response or an exit code."""

from __future__ import annotations

import uuid

from domain.errors import FieldError


class ApplicationError(Exception):
    """Base class for the application's own errors."""


class TaskNotFound(ApplicationError):
    """No task with this id belongs to this owner (another owner's task counts as missing)."""

    def __init__(self, task_id: uuid.UUID) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class VersionMismatch(ApplicationError):
    """The caller's expected version (``If-Match``) is not the task's current one.
    ``current_version``: the version the task was found at, when it was read (a 412 names
    it as the current ``ETag``)."""

    def __init__(self, task_id: uuid.UUID, *, current_version: int | None = None) -> None:
        super().__init__(f"task {task_id} has changed since it was read")
        self.task_id = task_id
        self.current_version = current_version


class ConcurrentUpdate(ApplicationError):
    """An unconditional write kept losing to concurrent writers; the client may retry."""


class IdempotencyKeyReused(ApplicationError):
    """The same ``Idempotency-Key`` came with a different request."""


class IdempotencyKeyTaken(ApplicationError):
    """Raised by a repository: the owner already has this key (a concurrent request won)."""


class CreatedTaskDeleted(ApplicationError):
    """A retried create whose ``Idempotency-Key`` made a task that has since been deleted:
    the retry creates nothing, and there is no task left to answer with (ADR 0020)."""

    def __init__(self, task_id: uuid.UUID | None = None) -> None:
        super().__init__("the task this Idempotency-Key created has since been deleted")
        self.task_id = task_id


class TaskQuotaExceeded(ApplicationError):
    """The owner has ``limit`` tasks (``MAX_TASKS_PER_USER``), the most one owner may have;
    nothing was written. ``index``: in a bulk input, the first record over the limit."""

    def __init__(
        self, owner: str, limit: int, *, existing: int | None = None, index: int | None = None
    ) -> None:
        super().__init__(f"user {owner} may have at most {limit:,} tasks")
        self.owner = owner
        self.limit = limit
        self.existing = existing
        self.index = index


class InvalidQuery(ApplicationError, FieldError):
    """A list query parameter (a cursor, a limit) is not acceptable."""


class InvalidToken(ApplicationError):
    """A bearer token was missing, malformed, forged, expired or not meant for us.

    ``reason`` is safe to show to the client; it never echoes the token.
    """

    def __init__(self, reason: str = "the access token is invalid") -> None:
        super().__init__(reason)
        self.reason = reason


class IdentityProviderUnavailable(ApplicationError):
    """A token could not be checked because the identity provider's signing keys cannot be
    fetched right now. Not the caller's fault, and not a sign-out: the same token may pass
    once the keys can be fetched, after about ``retry_after_seconds``."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("the signing keys cannot be fetched right now")
        self.retry_after_seconds = retry_after_seconds


class AccessDenied(ApplicationError):
    """The caller is authenticated but asks for another user's resources."""


class StorageUnavailable(ApplicationError):
    """The database cannot be reached or did not answer in time."""


SCHEMA_UPGRADE_HINT = "run `todo-admin db upgrade`"


class SchemaNotReady(ApplicationError):
    """The database's schema is missing or older than this code's: a deployment step was
    skipped, which waiting will not fix. The message says what to run."""

    def __init__(self, reason: str = "the database schema is missing or behind") -> None:
        super().__init__(f"{reason}: {SCHEMA_UPGRADE_HINT}")


class InvalidRecord(ApplicationError):
    """One record of a bulk input (an import) breaks a rule; nothing of the input was written.

    ``index`` is the record's 0-based position in the input, ``field`` the offending field
    (empty when the record as a whole is wrong).
    """

    def __init__(self, index: int, field: str, message: str) -> None:
        where = f"tasks[{index}].{field}" if field else f"tasks[{index}]"
        super().__init__(f"{where}: {message}")
        self.index = index
        self.field = field
        self.message = message


class DuplicateTaskId(ApplicationError):
    """Raised by a repository's bulk insert: a task with one of these ids already exists
    (possibly written by a concurrent transaction)."""
