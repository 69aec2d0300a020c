"""The export file format, ``todo-api.tasks`` version 1 (see docs/cli.md).

One JSON document, written and read as a stream::

    {"format":"todo-api.tasks","version":1,"user_id":"…","exported_at":"…Z","tasks":[
    {"id":"…","title":"…","description":null,"completed":false,"due_date":null,
     "created_at":"…Z","updated_at":"…Z","version":1},
    …
    ],"count":2}

The writer puts the header first, then one task per line, then the count: memory does not
grow with the number of tasks. The reader parses incrementally (ijson), so it never holds
the document either; it needs ``format`` and ``version`` before ``tasks`` (as the writer puts
them) so a wrong file is refused before any record is read. A truncated file is not valid
JSON and is refused as a whole.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

import ijson
import orjson

from application.errors import InvalidRecord
from application.use_cases.admin import TaskRecord
from domain.task import Task
from entrypoints.cli.output import rfc3339

FORMAT = "todo-api.tasks"
VERSION = 1

_HEADER_FIELDS = frozenset({"format", "version", "user_id", "exported_at", "count"})
_RECORD_FIELDS = frozenset(
    {"id", "title", "description", "completed", "due_date", "created_at", "updated_at", "version"}
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_SCALARS = frozenset({"null", "boolean", "integer", "double", "number", "string"})


class TaskFileError(Exception):
    """The input is not a task export this version reads (not JSON, wrong format…)."""


def export_record(task: Task) -> dict[str, Any]:
    """One task in the export: everything but the owner (in the header)."""
    return {
        "id": str(task.id),
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "created_at": rfc3339(task.created_at),
        "updated_at": rfc3339(task.updated_at),
        "version": task.version,
    }


class TaskFileWriter:
    """Writes an export to a binary stream, one task at a time."""

    def __init__(self, stream: IO[bytes], *, user_id: str, exported_at: datetime) -> None:
        self._stream = stream
        self.count = 0
        header = orjson.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "user_id": user_id,
                "exported_at": rfc3339(exported_at),
            }
        )
        stream.write(header[:-1] + b',"tasks":[\n')

    def write(self, task: Task) -> None:
        if self.count:
            self._stream.write(b",\n")
        self._stream.write(orjson.dumps(export_record(task)))
        self.count += 1

    def close(self) -> None:
        self._stream.write(b'\n],"count":%d}\n' % self.count)


class TaskFileReader:
    """Reads an export from a binary stream: ``records()`` yields each task as a
    ``TaskRecord`` while parsing. Shape errors raise ``InvalidRecord`` (index and field) or
    ``TaskFileError``; the domain's rules are checked later by the import use case."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.header: dict[str, Any] = {}
        self.count = 0

    @property
    def user_id(self) -> str | None:
        value = self.header.get("user_id")
        return value if isinstance(value, str) else None

    def records(self) -> Iterator[TaskRecord]:
        events = ijson.parse(self._stream, use_float=True)
        try:
            yield from self._document(events)
        except ijson.JSONError as error:
            raise TaskFileError(f"not valid JSON ({_json_reason(error)})") from error

    def _document(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[TaskRecord]:
        first = next(events, None)
        if first is None:
            raise TaskFileError("the file is empty")
        if first[1] != "start_map":
            raise TaskFileError(f"not a {FORMAT} file: the document must be a JSON object")
        seen: set[str] = set()
        for prefix, event, value in events:
            if prefix != "" or event != "map_key":
                break  # the end of the document
            if value in seen:
                raise TaskFileError(f"the field {value!r} appears twice")
            seen.add(value)
            if value == "tasks":
                self._check_header()
                yield from self._tasks(events)
            elif value in _HEADER_FIELDS:
                self._header_field(value, next(events))
            else:
                raise TaskFileError(f"unknown top-level field {value!r}")
        for _ in events:
            pass  # nothing may follow the document: the parser refuses trailing data
        if "tasks" not in seen:
            self._check_header()
            raise TaskFileError("the file has no 'tasks' array")
        expected = self.header.get("count")
        if expected is not None and expected != self.count:
            raise TaskFileError(f"'count' is {expected} but the file has {self.count} tasks")

    def _header_field(self, name: str, event: tuple[str, str, Any]) -> None:
        _, kind, value = event
        if kind not in _SCALARS:
            raise TaskFileError(f"{name!r} must be a single value")
        if name == "format" and value != FORMAT:
            raise TaskFileError(f"not a {FORMAT} file ('format' is {value!r})")
        if name == "version" and (kind == "boolean" or value != VERSION):
            raise TaskFileError(
                f"unsupported version {value!r} of {FORMAT} (this program reads {VERSION})"
            )
        if name in ("user_id", "exported_at") and not isinstance(value, str):
            raise TaskFileError(f"{name!r} must be a string")
        if name == "count" and (kind == "boolean" or not isinstance(value, int) or value < 0):
            raise TaskFileError("'count' must be a non-negative integer")
        self.header[name] = value

    def _check_header(self) -> None:
        if "format" not in self.header:
            raise TaskFileError(f"not a {FORMAT} file: 'format' must come before 'tasks'")
        if "version" not in self.header:
            raise TaskFileError("'version' must come before 'tasks'")

    def _tasks(self, events: Iterator[tuple[str, str, Any]]) -> Iterator[TaskRecord]:
        _, kind, _ = next(events)
        if kind != "start_array":
            raise TaskFileError("'tasks' must be an array")
        for prefix, event, _value in events:
            if event == "end_array" and prefix == "tasks":
                return
            index = self.count
            if event != "start_map":
                raise InvalidRecord(index, "", "must be a JSON object")
            record = _record(index, _fields(index, events))
            self.count += 1
            yield record


def _fields(index: int, events: Iterator[tuple[str, str, Any]]) -> dict[str, Any]:
    """The fields of one flat record, read up to its closing brace."""
    fields: dict[str, Any] = {}
    for _prefix, event, value in events:
        if event == "end_map":
            return fields
        # ``event`` is a map_key here: a value always follows its key.
        name = value
        if name not in _RECORD_FIELDS:
            raise InvalidRecord(index, name, "is not a field of a task record")
        if name in fields:
            raise InvalidRecord(index, name, "appears twice")
        _, kind, field_value = next(events)
        if kind not in _SCALARS:
            raise InvalidRecord(index, name, _EXPECTED[name])
        fields[name] = field_value
    raise TaskFileError("the file ends inside a record")


_EXPECTED = {
    "id": "must be a UUID string or null",
    "title": "must be a string",
    "description": "must be a string or null",
    "completed": "must be true or false",
    "due_date": "must be a date in YYYY-MM-DD format or null",
    "created_at": "must be an RFC 3339 timestamp with an offset (e.g. 2025-01-31T12:00:00Z)",
    "updated_at": "must be an RFC 3339 timestamp with an offset (e.g. 2025-01-31T12:00:00Z)",
    "version": "must be a positive integer",
}


def _record(index: int, fields: dict[str, Any]) -> TaskRecord:
    def bad(name: str) -> InvalidRecord:
        return InvalidRecord(index, name, _EXPECTED[name])

    title = fields.get("title")
    if title is None:
        if "title" in fields:
            raise bad("title")
        raise InvalidRecord(index, "title", "is required")
    if not isinstance(title, str):
        raise bad("title")
    description = fields.get("description")
    if description is not None and not isinstance(description, str):
        raise bad("description")
    completed = fields.get("completed", False)
    if not isinstance(completed, bool):
        raise bad("completed")
    version = fields.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise bad("version")
    return TaskRecord(
        id=_uuid(index, fields.get("id")),
        title=title,
        description=description,
        completed=completed,
        due_date=_date(index, fields.get("due_date")),
        created_at=_timestamp(index, "created_at", fields.get("created_at")),
        updated_at=_timestamp(index, "updated_at", fields.get("updated_at")),
        version=version,
    )


def _uuid(index: int, value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise TypeError
        return uuid.UUID(value)
    except (TypeError, ValueError) as error:
        raise InvalidRecord(index, "id", _EXPECTED["id"]) from error


def _date(index: int, value: Any) -> date | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise TypeError
        return date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise InvalidRecord(index, "due_date", _EXPECTED["due_date"]) from error


def _timestamp(index: int, name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not _RFC3339.fullmatch(value):
            raise TypeError
        return datetime.fromisoformat(value.upper()).astimezone(UTC)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidRecord(index, name, _EXPECTED[name]) from error


def _json_reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else "incomplete or malformed"
