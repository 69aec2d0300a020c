"""The export file format, ``todo-api.tasks`` version 2 (see docs/cli.md); version 1 files
(from before priorities, tags, reminders and recurrence) are read too.

One JSON document, written and read as a stream::

    {"format":"todo-api.tasks","version":2,"user_id":"…","exported_at":"…Z","tasks":[
    <task record>,
    …
    ],"count":2}

Each task record is ``application.task_document.task_record``: the task document with its
version and without the owner (which the header names).

The writer puts the header first, then one task per line, then the count: memory does not
grow with the number of tasks. The reader parses incrementally (ijson), so it never holds
the document either; it needs ``format`` and ``version`` before ``tasks`` (as the writer puts
them) so a wrong file is refused before any record is read. A truncated file is not valid
JSON and is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import ijson

from application.errors import InvalidRecord
from application.task_document import (
    RECORD_FIELDS,
    expected_value,
    read_task_record,
    task_record,
)
from domain.errors import InvalidTaskField
from domain.task import TAGS_MAX, Task, TaskRecord
from entrypoints.cli.surrogates import LoneSurrogate, LoneSurrogateGuard
from entrypoints.presentation import dump_json

FORMAT = "todo-api.tasks"
VERSION = 2
READABLE_VERSIONS = frozenset({1, 2})

_HEADER_FIELDS = frozenset({"format", "version", "user_id", "exported_at", "count"})
_SCALARS = frozenset({"null", "boolean", "integer", "double", "number", "string"})


class TaskFileError(Exception):
    """The input is not a task export this version reads (not JSON, wrong format…)."""


class TaskFileWriter:
    """Writes an export to a binary stream, one task at a time."""

    def __init__(self, stream: IO[bytes], *, user_id: str, exported_at: datetime) -> None:
        self._stream = stream
        self.count = 0
        header = dump_json(
            {"format": FORMAT, "version": VERSION, "user_id": user_id, "exported_at": exported_at}
        )
        stream.write(header[:-1] + b',"tasks":[\n')

    def write(self, task: Task) -> None:
        if self.count:
            self._stream.write(b",\n")
        self._stream.write(dump_json(task_record(task)))
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
        # Bare events, without ijson's prefixes: those are built for every event, ahead of
        # any check, and a file of nested arrays makes each one longer than the last (a
        # 200 KB file took 10 GB). Nothing below accepts a container where the format has
        # none, so the nesting the reader ever follows is four deep.
        events = ijson.basic_parse(LoneSurrogateGuard(self._stream), use_float=True)
        try:
            yield from self._document(events)
        except ijson.JSONError as error:
            raise TaskFileError(f"not valid JSON ({_json_reason(error)})") from error
        except LoneSurrogate as error:
            raise TaskFileError(f"not valid text ({error})") from error
        except UnicodeDecodeError as error:
            raise TaskFileError(
                "not valid JSON (a string is not UTF-8, or escapes a lone surrogate)"
            ) from error

    def _document(self, events: Iterator[tuple[str, Any]]) -> Iterator[TaskRecord]:
        first = next(events, None)
        if first is None:
            raise TaskFileError("the file is empty")
        if first[0] != "start_map":
            raise TaskFileError(f"not a {FORMAT} file: the document must be a JSON object")
        seen: set[str] = set()
        for event, value in events:
            if event != "map_key":
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

    def _header_field(self, name: str, event: tuple[str, Any]) -> None:
        kind, value = event
        if kind not in _SCALARS:
            raise TaskFileError(f"{name!r} must be a single value")
        if name == "format" and value != FORMAT:
            raise TaskFileError(f"not a {FORMAT} file ('format' is {value!r})")
        if name == "version" and (kind == "boolean" or value not in READABLE_VERSIONS):
            raise TaskFileError(
                f"unsupported version {value!r} of {FORMAT} (this program reads 1 and 2)"
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

    def _tasks(self, events: Iterator[tuple[str, Any]]) -> Iterator[TaskRecord]:
        kind, _ = next(events)
        if kind != "start_array":
            raise TaskFileError("'tasks' must be an array")
        for event, _value in events:
            if event == "end_array":
                return
            index = self.count
            if event != "start_map":
                raise InvalidRecord(index, "", "must be a JSON object")
            record = _record(index, _fields(index, events))
            self.count += 1
            yield record


# The record fields that hold an array of scalars or an object of scalars, and how many
# items they may hold: more is refused while reading, before it takes any memory.
_CONTAINERS = {"tags": ("start_array", TAGS_MAX), "recurrence": ("start_map", 3)}


def _fields(index: int, events: Iterator[tuple[str, Any]]) -> dict[str, Any]:
    """The fields of one record, read up to its closing brace."""
    fields: dict[str, Any] = {}
    for event, value in events:
        if event == "end_map":
            return fields
        # ``event`` is a map_key here: a value always follows its key.
        name = value
        if name not in RECORD_FIELDS:
            raise InvalidRecord(index, name, "is not a field of a task record")
        if name in fields:
            raise InvalidRecord(index, name, "appears twice")
        kind, field_value = next(events)
        if name in _CONTAINERS and kind == _CONTAINERS[name][0]:
            field_value = _container(index, name, kind, events)
        elif kind not in _SCALARS:
            raise InvalidRecord(index, name, expected_value(name))
        fields[name] = field_value
    raise TaskFileError("the file ends inside a record")


def _container(
    index: int, name: str, kind: str, events: Iterator[tuple[str, Any]]
) -> list[Any] | dict[str, Any]:
    """A record's array or object of scalars, read up to its end, at most a few items."""
    limit = _CONTAINERS[name][1]
    items: list[Any] = []
    keys: list[str] = []
    for event, value in events:
        if event in ("end_array", "end_map"):
            return items if kind == "start_array" else dict(zip(keys, items, strict=True))
        if event == "map_key":
            if value in keys:  # else the last would silently win, as in a dict
                raise InvalidRecord(index, f"{name}.{value}", "appears twice")
            keys.append(value)
            continue
        if event not in _SCALARS:
            raise InvalidRecord(index, name, expected_value(name))
        if len(items) >= limit:
            raise InvalidRecord(index, name, f"must hold at most {limit} items")
        items.append(value)
    raise TaskFileError("the file ends inside a record")


def _record(index: int, fields: dict[str, Any]) -> TaskRecord:
    try:
        return read_task_record(fields)
    except InvalidTaskField as error:
        raise InvalidRecord(index, error.field, error.message) from error


def _json_reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[0] if lines else "incomplete or malformed"
