"""Opaque page cursors: where the last page ended, for the same sort, order and filters
only."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime

from application.errors import InvalidQuery
from application.queries import SortField, SortValue, TaskPosition, TaskQuery
from domain.errors import InvalidTaskField
from domain.task import normalize_title

MAX_CURSOR_LENGTH = 1024


def encode_cursor(query: TaskQuery, position: TaskPosition) -> str:
    value = position.value
    encoded_value = value.isoformat() if isinstance(value, date | datetime) else value
    payload = {
        "s": query.sort.value,
        "o": query.direction.value,
        "f": filters_digest(query),
        "v": encoded_value,
        "i": str(position.task_id),
    }
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, query: TaskQuery) -> TaskPosition:
    """Read a cursor made by ``encode_cursor`` for a query with the same sort, order and
    filters.

    Anything else (garbage, a cursor of another sort or other filters) raises
    ``InvalidQuery``.
    """
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode("utf-8"))
        if not isinstance(payload, dict) or set(payload) != {"s", "o", "f", "v", "i"}:
            raise ValueError("wrong shape")
        if payload["s"] != query.sort.value or payload["o"] != query.direction.value:
            raise ValueError("made for another sort or order")
        if payload["f"] != filters_digest(query):
            raise ValueError("made for other filters")
        task_id = uuid.UUID(str(payload["i"]))
        value = _parse_value(query.sort, payload["v"])
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        InvalidTaskField,
    ) as error:
        raise InvalidQuery("cursor", "is not a cursor this list gave out") from error
    return TaskPosition(value=value, task_id=task_id)


def filters_digest(query: TaskQuery) -> str:
    """A short digest of the query's filters (not their values in clear)."""
    canonical = json.dumps(query.filters(), ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.blake2s(canonical.encode("utf-8", "surrogatepass"), digest_size=9)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii")


_PRIORITY_KEY = re.compile(r"[0-3]\d{20}")


def _parse_value(sort: SortField, value: object) -> SortValue:
    if sort is SortField.DUE_DATE:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError("due date must be a string")
        return date.fromisoformat(value)
    if not isinstance(value, str):
        raise TypeError("value must be a string")
    if sort is SortField.PRIORITY:
        if not _PRIORITY_KEY.fullmatch(value):
            raise ValueError("not a priority key")
        return value
    if sort is SortField.TITLE:
        # Only a title some task could have: a stored title never holds NUL or a lone
        # surrogate, which the database drivers cannot even send.
        if normalize_title(value) != value:
            raise ValueError("not a stored title")
        return value
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp without offset")
    # Stores compare in UTC: an instant that has no UTC datetime (year 0 or 10000) is no
    # position (OverflowError).
    return moment.astimezone(UTC)
