"""ETags and ``If-Match`` (RFC 9110 §8.8.3, §13.1.1) from the task's version."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from application.errors import VersionMismatch
from domain.task import Task
from entrypoints.http.problems import MalformedHeader

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
