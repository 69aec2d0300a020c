"""What leaves through the entrypoints: the JSON encoder (HTTP bodies, MCP results, CLI
output, export files) — orjson, which writes a task document's UUIDs, dates and UTC
timestamps exactly as ``application.task_document.json_value`` says (a test holds the two
equal) — and validation problems in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def dump_json(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


# pydantic's wording for two common problems, and ours.
_PLAIN = {"Field required": "is required", "Extra inputs are not permitted": "is not accepted here"}


def plain_message(problem: Mapping[str, Any], *, unknown: str | None = None) -> str:
    """One pydantic validation problem in words (``is required``, ``must be a date in
    YYYY-MM-DD format``); ``unknown`` says what a field that is not accepted is not."""
    message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
    if unknown is not None and message == "Extra inputs are not permitted":
        return unknown
    return _PLAIN.get(message, message)
