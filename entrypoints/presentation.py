"""The JSON encoder for what leaves through the entrypoints (HTTP bodies, CLI output, export
files): orjson, which writes a task document's UUIDs, dates and UTC timestamps exactly as
``application.task_document.json_value`` says — a test holds the two equal."""

from __future__ import annotations

from typing import Any

import orjson


def dump_json(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
