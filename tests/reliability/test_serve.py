"""``make serve``, run for real on a migrated SQLite file: it serves authenticated requests
from several workers, every line it writes (its install step's and the supervising
process's included) is one JSON object, it believes ``X-Forwarded-Proto`` from
``TRUSTED_PROXIES`` only, and SIGTERM to the server (as a process manager sends it) ends it,
and make, with status 0."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_sqlite_database
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, free_port
from tests.http import auth

PROJECT = Path(__file__).resolve().parents[2]
WORKERS = 2


class Served:
    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: list[str] = []
        self.exit_code: int | None = None


def _supervisor_pid(output: Path) -> int | None:
    """The pid uvicorn's supervising process logs at start ("Started parent process")."""
    found = re.search(r"Started parent process \[(\d+)\]", output.read_text())
    return int(found.group(1)) if found else None


@contextmanager
def make_serve(
    database_url: str, output: Path, trusted_proxies: str = "127.0.0.1"
) -> Iterator[Served]:
    """``make serve``, ready; on exit its server gets SIGTERM, and make's output and exit
    status are kept on the yielded object."""
    port = free_port()
    # Not a sub-make of whatever make runs the tests: its flags (a jobserver whose pipes did
    # not come along, say) would make this one print warnings among the JSON lines.
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    }
    environment = {
        **inherited,
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "REDIS_URL": "",
    }
    command = [
        "make",
        "-s",
        "serve",
        f"PORT={port}",
        f"WORKERS={WORKERS}",
        f"TRUSTED_PROXIES={trusted_proxies}",
    ]
    with output.open("w") as sink:
        # A session of its own: should the server never log its pid, the whole group stops.
        make = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while True:
            assert make.poll() is None, output.read_text()
            try:
                if httpx.get(f"{served.base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield served
    finally:
        supervisor = _supervisor_pid(output)
        if supervisor is not None:
            os.kill(supervisor, signal.SIGTERM)
        else:
            os.killpg(make.pid, signal.SIGTERM)
        try:
            make.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        served.lines = [line for line in output.read_text().splitlines() if line.strip()]
        served.exit_code = make.returncode


def _resource(served: Served, forwarded_proto: str) -> str:
    """The MCP endpoint's URL as the server sees its own base (RFC 9728 metadata)."""
    response = httpx.get(
        f"{served.base}/.well-known/oauth-protected-resource",
        headers={"X-Forwarded-Proto": forwarded_proto},
    )
    assert response.status_code == 200
    resource: str = response.json()["resource"]
    return resource


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[str]:
    with fresh_sqlite_database(tmp_path) as url:
        yield url


def test_make_serve_serves_in_json_lines_and_stops_cleanly(
    sqlite_database: str, tmp_path: Path
) -> None:
    with make_serve(sqlite_database, tmp_path / "serve.log") as served:
        headers = auth("alice")
        created = httpx.post(
            f"{served.base}/api/tasks", json={"title": "Served by make serve"}, headers=headers
        )
        listed = httpx.get(f"{served.base}/api/tasks", headers=headers)
        refused = httpx.get(f"{served.base}/api/tasks")
        # The proxy on 127.0.0.1 (the default TRUSTED_PROXIES) says the client used https.
        resource = _resource(served, "https")

    assert created.status_code == 201, created.text
    assert listed.status_code == 200
    assert [task["title"] for task in listed.json()] == ["Served by make serve"]
    assert refused.status_code == 401
    assert resource.startswith("https://")
    assert served.exit_code == 0, served.lines
    entries = [json.loads(line) for line in served.lines]  # each line is JSON, or this fails
    assert all(isinstance(entry, dict) for entry in entries)
    messages = [entry["message"] for entry in entries]
    # The supervising process (which never loads the app) wrote JSON too …
    assert any(message.startswith("Started parent process") for message in messages), messages
    assert any(message.startswith("Stopping parent process") for message in messages), messages
    # … and there were WORKERS workers, each with the app's own access lines.
    started = [m for m in messages if m.startswith("Started server process")]
    assert len(started) == WORKERS, messages
    assert any(entry.get("route") == "/api/tasks" for entry in entries), messages


def test_forwarded_headers_from_anyone_else_are_ignored(
    sqlite_database: str, tmp_path: Path
) -> None:
    # Requests come from 127.0.0.1, which is not the one trusted proxy here.
    with make_serve(sqlite_database, tmp_path / "serve.log", "192.0.2.1") as served:
        resource = _resource(served, "https")

    assert resource.startswith("http://"), resource
    assert served.exit_code == 0, served.lines
