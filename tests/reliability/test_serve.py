"""``make serve``, run for real: the exact command the Makefile runs (``make -n`` prints it)
on a migrated SQLite file. It serves authenticated requests from several workers, every
line it writes (the supervising process's included) is one JSON object, it believes
``X-Forwarded-Proto`` from ``TRUSTED_PROXIES`` only, and SIGTERM stops it with status 0."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_sqlite_database
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT
from tests.http import auth

PROJECT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_command(port: int, trusted_proxies: str) -> str:
    """The server line of ``make serve`` (after its install steps), as make would run it."""
    printed = subprocess.run(
        [
            "make",
            "-s",
            "-n",
            "serve",
            f"PORT={port}",
            f"WORKERS={WORKERS}",
            f"TRUSTED_PROXIES={trusted_proxies}",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in printed.splitlines() if "uvicorn entrypoints.http.app:app" in line]
    assert len(lines) == 1, printed
    return lines[0]


class Served:
    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: list[str] = []
        self.exit_code: int | None = None


@contextmanager
def make_serve(database_url: str, trusted_proxies: str = "127.0.0.1") -> Iterator[Served]:
    """``make serve``'s server, ready; on exit it gets SIGTERM, and its output and exit
    status are kept on the yielded object."""
    port = _free_port()
    environment = {
        **os.environ,
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "REDIS_URL": "",
    }
    server = subprocess.Popen(
        ["bash", "-c", serve_command(port, trusted_proxies)],
        cwd=PROJECT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                if httpx.get(f"{served.base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield served
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
        served.lines = [line for line in output.splitlines() if line.strip()]
        served.exit_code = server.returncode


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


def test_make_serve_serves_in_json_lines_and_stops_cleanly(sqlite_database: str) -> None:
    with make_serve(sqlite_database) as served:
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


def test_forwarded_headers_from_anyone_else_are_ignored(sqlite_database: str) -> None:
    # Requests come from 127.0.0.1, which is not the one trusted proxy here.
    with make_serve(sqlite_database, trusted_proxies="192.0.2.1") as served:
        resource = _resource(served, "https")

    assert resource.startswith("http://"), resource
    assert served.exit_code == 0, served.lines
