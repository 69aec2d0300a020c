"""The documented server commands, run for real: no log line carries a query string's
values (search terms, cursors), and with ``LOG_FORMAT=json`` every line is one JSON object
— uvicorn's own lines and third-party warnings included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, free_port
from tests.http import auth

UVICORN = str(Path(sys.executable).with_name("uvicorn"))
SECRET_SEARCH = "needle-in-the-query-7f3a"
# As in the Makefile's SERVER_LIMITS and docs/operations.md's command.
SERVER_LIMITS = [
    "--http",
    "entrypoints.http.server:BoundedH11Protocol",
    "--limit-concurrency",
    "1000",
]


def _serve_and_log(extra: list[str], log_format: str) -> list[str]:
    """Start the server, send a few requests with query strings, stop it; its output."""
    port = free_port()
    environment = {
        **os.environ,
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": "memory://",
        "LOG_FORMAT": log_format,
        "LOG_LEVEL": "INFO",
    }
    command = [UVICORN, "entrypoints.http.app:app", "--port", str(port), *extra]
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        headers = auth("alice")
        httpx.get(f"{base}/api/tasks?q={SECRET_SEARCH}&limit=5", headers=headers)
        httpx.get(f"{base}/api/tasks?cursor={SECRET_SEARCH}", headers=headers)
        httpx.get(f"{base}/nowhere?{SECRET_SEARCH}=1", headers=headers)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    return [line for line in output.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--no-access-log", *SERVER_LIMITS],
        ["--workers", "2", "--no-access-log", "--log-level", "warning", *SERVER_LIMITS],
    ],
    ids=["bare", "make-run", "operations"],
)
def test_json_mode_writes_only_json_lines_and_no_query_values(extra: list[str]) -> None:
    lines = _serve_and_log(extra, "json")
    assert any('"route": "/api/tasks"' in line for line in lines), lines  # it did log
    for line in lines:
        assert isinstance(json.loads(line), dict), line
        assert SECRET_SEARCH not in line, line


def test_text_mode_writes_no_query_values() -> None:
    lines = _serve_and_log([], "text")
    assert any("GET /api/tasks 200" in line for line in lines), lines
    assert not [line for line in lines if SECRET_SEARCH in line]
