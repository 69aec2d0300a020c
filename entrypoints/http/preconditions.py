"""Conditional and retry-safe requests: ETags from the task's version (RFC 9110 §8.8.3),
``If-Match`` on writes and ``If-None-Match`` on reads (§13.1.1, §13.1.2), and
``Idempotency-Key`` on POST (IETF httpapi draft)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header

from domain.task import Task
from entrypoints.http.etags import etag_of_version
from entrypoints.http.problems import MalformedHeader
from entrypoints.http.schemas import without_null

# The grammars below are the parsers' own and are published in the OpenAPI schema as is
# (ECMA-262 and Python read them alike), so the documented and the accepted values agree.
# RFC 9110 §13.1.1: If-Match = "*" / #entity-tag, entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE;
# §13.1.2: If-None-Match has the same grammar.
_OWS = "[ \t]*"
_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
IF_MATCH_PATTERN = rf"^{_OWS}(?:\*|{_TAG}(?:{_OWS},{_OWS}{_TAG})*){_OWS}$"
IF_NONE_MATCH_PATTERN = IF_MATCH_PATTERN
# 1-255 visible ASCII characters, bare or as a structured-field string ("…").
IDEMPOTENCY_KEY_PATTERN = (
    r'^(?:"[\x21-\x7e]{1,255}"|"|[\x21\x23-\x7e][\x21-\x7e]{0,254}'
    r'|"[\x21-\x7e]{0,253}[\x21\x23-\x7e])$'
)


def _header_schema(pattern: str) -> Callable[[dict[str, Any]], None]:
    """An optional header is absent or a string (never JSON ``null``), of this grammar."""

    def document(schema: dict[str, Any]) -> None:
        without_null(schema)
        schema["pattern"] = pattern

    return document


IfMatch = Annotated[
    str | None,
    Header(
        description='Only act if the task\'s ETag is one of these (e.g. `"3"`), else 412.',
        max_length=1024,
        json_schema_extra=_header_schema(IF_MATCH_PATTERN),
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        description="Answer 304 Not Modified (no body) if the task's ETag is one of these "
        '(e.g. `"3"`; weak tags compare alike, `*` is any), else 200 as usual.',
        max_length=1024,
        json_schema_extra=_header_schema(IF_NONE_MATCH_PATTERN),
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        description="A unique value (e.g. a UUID) per create: a retry with the same key and "
        "body gets the first response and creates nothing; another body → 422. Kept 24 h.",
        max_length=257,
        json_schema_extra=_header_schema(IDEMPOTENCY_KEY_PATTERN),
    ),
]
CREATE_DESCRIPTION = (
    "Send an `Idempotency-Key` header to make retries safe: the same key with the same body "
    "replays the first response (201, same task, same headers) without creating anything."
)
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
# The version column is a BIGINT.
MAX_STORED_VERSION = 2**63 - 1
_MAX_VERSION_DIGITS = len(str(MAX_STORED_VERSION))
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
# The opaque tags the service issues: versions in decimal, as written (not "03", not "²").
_ISSUED = re.compile(r"[1-9][0-9]*")


def etag_of(task: Task) -> str:
    return etag_of_version(task.version)


def parse_if_match(header: str | None) -> frozenset[int] | None:
    """``None`` when any version will do (no header, or ``*``); otherwise the versions the
    client accepts, for the use case to check. Weak tags never match (If-Match uses strong
    comparison) and tags we never issued match nothing, so both yield an empty set: a 412
    (or a 404 if the task is missing)."""
    if header is None:
        return None
    if _IF_MATCH.fullmatch(header) is None:
        raise MalformedHeader("If-Match must be '*' or a list of entity tags")
    if header.strip(" \t") == "*":
        return None
    return _versions_named(header, weak_too=False)


@dataclass(frozen=True)
class HeldVersions:
    """What an ``If-None-Match`` says the client holds: any version (``*``), or these."""

    versions: frozenset[int]
    any_version: bool = False

    def include(self, task: Task) -> bool:
        return self.any_version or task.version in self.versions


def parse_if_none_match(header: str | None) -> HeldVersions | None:
    """``None`` without the header. Weak comparison (§13.1.2): ``W/"3"`` names version 3
    as ``"3"`` does; tags we never issued name nothing."""
    if header is None:
        return None
    if _IF_MATCH.fullmatch(header) is None:
        raise MalformedHeader("If-None-Match must be '*' or a list of entity tags")
    if header.strip(" \t") == "*":
        return HeldVersions(frozenset(), any_version=True)
    return HeldVersions(_versions_named(header, weak_too=True))


def _versions_named(header: str, *, weak_too: bool) -> frozenset[int]:
    """The versions a well-formed list of entity tags names."""
    versions: set[int] = set()
    # Scanned tag by tag, not split at commas: a comma may be part of a tag.
    for match in _ENTITY_TAG.finditer(header):
        weak, opaque = match.groups()
        # Every version the service can issue is named; a number no task can have
        # (beyond the column's 2**63 - 1) names nothing.
        if (
            (weak_too or not weak)
            and _ISSUED.fullmatch(opaque)
            and len(opaque) <= _MAX_VERSION_DIGITS
        ):
            version = int(opaque)
            if version <= MAX_STORED_VERSION:
                versions.add(version)
    return frozenset(versions)


def parse_idempotency_key(header: str | None) -> str | None:
    """The key as sent, or as a structured-field string (``"…"``, the draft's form)."""
    if header is None:
        return None
    key = header.strip(" \t")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise MalformedHeader("Idempotency-Key must be 1-255 visible ASCII characters")
    if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    return key
