"""Slow and oversized clients: header count and size, the time to send the headers and the
body, connections per process. In the app (any server) through ASGI, and through the
documented server command (the Makefile's ``run`` options, docs/operations.md) started for
real on a free port. Outcomes are asserted (refused, closed), never timings."""

from __future__ import annotations

import asyncio
import os
import re
import select
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, assert_problem
from tests.e2e.test_cli import free_port, wait_until_healthy
from tests.http import make_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --- in the app, whatever the server ---------------------------------------------------------


async def test_more_than_1000_header_fields_are_431(http_client: httpx.AsyncClient) -> None:
    headers = [(f"x-filler-{n}", "a") for n in range(1500)]
    response = await http_client.get("/healthz", headers=headers)
    body = assert_problem(response, 431)
    assert body["type"] == "/problems/headers-too-large"
    assert (await http_client.get("/healthz", headers=headers[:500])).status_code == 200


async def test_more_than_128_kib_of_headers_is_431(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get("/healthz", headers={"x-big": "a" * (140 * 1024)})
    assert_problem(response, 431)


async def test_a_body_that_does_not_arrive_in_time_is_408_and_closes() -> None:
    app = create_app(build_container(make_settings("memory://", request_body_timeout=0.2)))
    never = asyncio.Event()
    sent: list[dict[str, Any]] = []
    chunks = [b'{"title": ']

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": True}
        await never.wait()  # the rest of the body never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/tasks",
        "raw_path": b"/api/tasks",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]


# --- through the documented server command ---------------------------------------------------


def documented_server_options(max_connections: int) -> list[str]:
    """``SERVER_LIMITS`` from the Makefile (what ``make run`` passes to uvicorn)."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    match = re.search(r"^SERVER_LIMITS = (.+)$", makefile, re.MULTILINE)
    assert match, "the Makefile defines SERVER_LIMITS"
    assert "$(SERVER_LIMITS)" in makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    return shlex.split(match.group(1).replace("$(MAX_CONNECTIONS)", str(max_connections)))


def test_the_operations_guide_gives_the_same_server_options() -> None:
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    options = " ".join(documented_server_options(1000))
    assert options in guide


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": "memory://",
        "REQUEST_HEADER_TIMEOUT": "1",
        "REQUEST_BODY_TIMEOUT": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "entrypoints.http.app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *documented_server_options(max_connections=4),
    ]
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, timeout=30)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout:
            process.stdout.close()


def connect(address: tuple[str, int]) -> socket.socket:
    return socket.create_connection(address, timeout=10)


def answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes (or stops for 10 s)."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return received


def send_all(connection: socket.socket, data: bytes) -> None:
    """Send what the server is willing to read; it may refuse and close midway."""
    try:
        for start in range(0, len(data), 65536):
            connection.sendall(data[start : start + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_8_mb_of_headers_is_refused(server: tuple[str, int]) -> None:
    with connect(server) as connection:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (8 * 1024 * 1024)
        send_all(connection, request + b"\r\n\r\n")
        status_line = answer(connection).split(b"\r\n", 1)[0]
    assert status_line in (b"", b"HTTP/1.1 400 Bad Request"), status_line


def test_10000_headers_are_refused(server: tuple[str, int]) -> None:
    with connect(server) as connection:
        headers = b"".join(b"X-%d: a\r\n" % n for n in range(10_000))
        send_all(connection, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        status_line = answer(connection).split(b"\r\n", 1)[0]
    refused = (b"HTTP/1.1 400 ", b"HTTP/1.1 431 ")
    assert status_line == b"" or status_line.startswith(refused), status_line


def trickle(connection: socket.socket, start: bytes, byte: bytes, most: int) -> tuple[int, bytes]:
    """Send ``start``, then one ``byte`` every 0.2 s, up to ``most`` of them, until the
    server answers or closes; returns how many were sent, and the answer."""
    connection.sendall(start)
    for sent in range(most):
        readable, _, _ = select.select([connection], [], [], 0.2)
        if readable:
            return sent, answer(connection)
        try:
            connection.sendall(byte)
        except (BrokenPipeError, ConnectionResetError):
            return sent, b""
    return most, b""


def test_headers_trickled_a_byte_at_a_time_are_cut_off_with_408(server: tuple[str, int]) -> None:
    with connect(server) as connection:
        sent, received = trickle(connection, b"GET /healthz HTTP/1.1\r\nX-Slow: ", b"a", 150)
    assert sent < 150, "the connection was still open after 30 s of trickled headers"
    assert received.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int]) -> None:
    with connect(server) as connection:
        connection.settimeout(30)
        assert answer(connection).startswith(b"HTTP/1.1 408 ")


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_with_a_408_problem(
    server: tuple[str, int],
) -> None:
    head = (
        b"POST /api/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with connect(server) as connection:
        sent, received = trickle(connection, head, b" ", 150)
    assert sent < 150, "the request was still open after 30 s of a trickled body"
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b"application/problem+json" in received


def test_a_keep_alive_connection_gets_a_deadline_for_its_next_request(
    server: tuple[str, int],
) -> None:
    with connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = connection.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sent, received = trickle(connection, b"GET /healthz HTTP/1.1\r\nX-Slow: ", b"a", 150)
    assert sent < 150, "the connection was still open after 30 s of trickled headers"
    # What is left of the first response's body may come first.
    assert b"HTTP/1.1 408 " in received


def test_connections_past_the_limit_get_503(server: tuple[str, int]) -> None:
    idle = [connect(server) for _ in range(4)]
    try:
        response = httpx.get(f"http://{server[0]}:{server[1]}/healthz", timeout=10)
    finally:
        for connection in idle:
            connection.close()
    assert response.status_code == 503
