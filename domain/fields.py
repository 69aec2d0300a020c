"""The rules of a task's fields, each a function that returns the value as kept or raises
``InvalidTaskField``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from domain.errors import InvalidTaskField
from domain.text import check_text

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
USER_ID_MAX_LENGTH = 255
TAGS_MAX = 20
TAG_MAX_LENGTH = 50


class Priority(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for none up to 3 for high: the order ``sort=priority`` uses."""
        return _RANKS[self]


_RANKS = {priority: rank for rank, priority in enumerate(Priority)}
PRIORITY_BY_RANK = dict(enumerate(Priority))


def normalize_title(title: str) -> str:
    """Trim a title and check it is 1-200 characters of text."""
    trimmed = title.strip()
    if not trimmed:
        raise InvalidTaskField("title", "must not be blank")
    return check_text("title", trimmed, max_length=TITLE_MAX_LENGTH, multiline=False)


def normalize_description(description: str | None) -> str | None:
    """Check a description is at most 1000 characters of text; ``None`` clears it."""
    if description is None:
        return None
    return check_text("description", description, max_length=DESCRIPTION_MAX_LENGTH, multiline=True)


def check_user_id(user_id: str) -> str:
    """An owner id is the identity provider's opaque, non-empty subject."""
    if not user_id or not user_id.strip():
        raise InvalidTaskField("user_id", "must not be empty")
    return check_text("user_id", user_id, max_length=USER_ID_MAX_LENGTH, multiline=False)


def normalize_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """At most 20 tags, each trimmed, 1-50 characters without control characters or commas
    (a comma separates tags in a list filter), unique ignoring case; order and case kept."""
    if isinstance(tags, str):
        raise InvalidTaskField("tags", "must be a list of strings")
    if len(tags) > TAGS_MAX:
        raise InvalidTaskField("tags", f"must be at most {TAGS_MAX} tags")
    kept: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        trimmed = tag.strip()
        if not trimmed:
            raise InvalidTaskField("tags", "must not contain a blank tag")
        check_text("tags", trimmed, max_length=TAG_MAX_LENGTH, multiline=False)
        if "," in trimmed:
            raise InvalidTaskField("tags", "a tag must not contain a comma")
        key = tag_key(trimmed)
        if key in seen:
            raise InvalidTaskField("tags", f"{trimmed!r} appears twice (tags ignore case)")
        seen.add(key)
        kept.append(trimmed)
    return tuple(kept)


def tag_key(tag: str) -> str:
    """Tags compare ignoring case: ``Work`` and ``work`` are one tag."""
    return tag.casefold()


def normalize_remind_at(remind_at: datetime | None) -> datetime | None:
    """A reminder is an instant with an offset, kept in UTC."""
    if remind_at is None:
        return None
    if remind_at.tzinfo is None or remind_at.utcoffset() is None:
        raise InvalidTaskField("remind_at", "must be a date-time with an offset")
    try:
        return remind_at.astimezone(UTC)
    except OverflowError as error:
        raise InvalidTaskField("remind_at", "must be a date-time the calendar has") from error
