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
from application.ports import CursorSealer
from application.queries import SortField, SortValue, TaskPosition, TaskQuery
from domain.errors import InvalidTaskField
from domain.task import normalize_title

# A sealed cursor of the longest position (a 200-character title of 4-byte characters)
# is about 1,250 characters; anything longer was not given out by this service.
MAX_CURSOR_LENGTH = 2048


class PageCursors:
    """Cursors as clients see them: the position where a page ended, sealed (``CursorSealer``)
    so that the title or dates it holds are not readable in URLs and logs, and so that any
    process behind the same load balancer can continue the list."""

    def __init__(self, sealer: CursorSealer) -> None:
        self._sealer = sealer

    async def encode(self, query: TaskQuery, position: TaskPosition) -> str:
        return await self._sealer.seal(cursor_payload(query, position))

    async def decode(self, cursor: str, query: TaskQuery) -> TaskPosition:
        """The position of a cursor ``encode`` made for a query with the same sort, order and
        filters; anything else (garbage, another sort's or other filters' cursor, a cursor
        sealed with another key) raises ``InvalidQuery``."""
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            payload = await self._sealer.unseal(cursor)
        except ValueError as error:
            raise _not_a_cursor() from error
        return read_cursor_payload(payload, query)


# One encoder for both (``json.dumps`` with options builds a new one on every call).
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def cursor_payload(query: TaskQuery, position: TaskPosition) -> bytes:
    """What a cursor holds, before sealing: the sort, order, a digest of the filters and the
    last task's position."""
    value = position.value
    encoded_value = value.isoformat() if isinstance(value, date | datetime) else value
    payload = {
        "s": query.sort.value,
        "o": query.direction.value,
        "f": filters_digest(query),
        "v": encoded_value,
        "i": str(position.task_id),
    }
    return _COMPACT_JSON.encode(payload).encode()


def read_cursor_payload(raw: bytes, query: TaskQuery) -> TaskPosition:
    """The position in a ``cursor_payload`` made for a query with the same sort, order and
    filters. Sealing means only this service's payloads get here; each is still checked
    in full: someone holding a leaked key could make positions, never a query a store
    cannot run."""
    try:
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
        raise _not_a_cursor() from error
    return TaskPosition(value=value, task_id=task_id)


def _not_a_cursor() -> InvalidQuery:
    return InvalidQuery("cursor", "is not a cursor this list gave out")


def filters_digest(query: TaskQuery) -> str:
    """A short digest of the query's filters (not their values in clear)."""
    canonical = _COMPACT_JSON.encode(query.filters())
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
