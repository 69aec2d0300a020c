"""Conditional and retry-safe requests: ETags and ``If-Match`` (RFC 9110 §8.8.3, §13.1.1)
from the task's version, and ``Idempotency-Key`` on POST (IETF httpapi draft)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header

from application.errors import VersionMismatch
from domain.task import Task
from entrypoints.http.problems import MalformedHeader

IfMatch = Annotated[
    str | None,
    Header(
        description='Only act if the task\'s ETag is one of these (e.g. `"3"`), else 412.',
        max_length=1024,
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        description="A unique value (e.g. a UUID) per create: a retry with the same key and "
        "body gets the first response and creates nothing; another body → 422. Kept 24 h.",
        max_length=257,
    ),
]
CREATE_DESCRIPTION = (
    "Send an `Idempotency-Key` header to make retries safe: the same key with the same body "
    "replays the first response (201, same task, same headers) without creating anything."
)
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')


def etag_of(task: Task) -> str:
    return f'"{task.version}"'


def parse_if_match(header: str | None) -> set[int] | None:
    """``None`` when any version will do (no header, or ``*``); otherwise the versions the
    client accepts. Weak tags never match (If-Match uses strong comparison) and tags we
    never issued match nothing, so both yield an empty set: a 412."""
    if header is None or header.strip() == "*":
        return None
    versions: set[int] = set()
    for part in header.split(","):
        match = _ENTITY_TAG.fullmatch(part)
        if match is None:
            raise MalformedHeader("If-Match must be '*' or a list of entity tags")
        weak, opaque = match.groups()
        if not weak and opaque.isdigit() and len(opaque) < 10:
            versions.add(int(opaque))
    return versions


async def expected_version(
    task_id: uuid.UUID,
    accepted: set[int] | None,
    current_version: Callable[[], Awaitable[int]],
) -> int | None:
    """Reduce the accepted versions to the one the write must find (atomically)."""
    if accepted is None:
        return None
    if len(accepted) == 1:
        return next(iter(accepted))
    if accepted:
        version = await current_version()
        if version in accepted:
            return version
    raise VersionMismatch(task_id)


def parse_idempotency_key(header: str | None) -> str | None:
    """The key as sent, or as a structured-field string (``"…"``, the draft's form)."""
    if header is None:
        return None
    key = header.strip()
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise MalformedHeader("Idempotency-Key must be 1-255 visible ASCII characters")
    return key
