"""Small helpers shared by the e2e and reliability tests (the app, its settings, tokens and
the ``client`` fixtures are in tests/http.py)."""

from __future__ import annotations

import re
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from typer.testing import CliRunner, Result

from entrypoints.cli.main import app as cli_app
from tests.http import SECRET, auth

# A PostgreSQL URL nothing listens on.
UNREACHABLE_POSTGRES = "postgresql://postgres@127.0.0.1:1/x"
# Everything Settings reads that could change a command's outcome, so that a developer's
# .env (which pydantic-settings also reads) cannot: environment variables win over it.
NEUTRAL_ENVIRONMENT = {
    "BETTER_AUTH_SECRET": SECRET,
    "BETTER_AUTH_URL": "",
    "JWT_ISSUER": "",
    "JWT_AUDIENCE": "",
    "JWT_JWKS_URL": "",
    "LOG_LEVEL": "WARNING",
    "METRICS_TOKEN": "",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "",
}
PROBLEM_JSON = "application/problem+json"
RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    """``todo-admin`` with these arguments, through Typer's runner (in this process)."""
    return CliRunner().invoke(cli_app, list(args), input=stdin)


def assert_clean_failure(result: Result, exit_code: int) -> str:
    """Exit code as documented, one ``todo-admin: error:`` line on stderr, no traceback."""
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("todo-admin: error: ")
    return lines[0]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def new_user() -> str:
    """A user id of its own for each test, so tests never see each other's tasks."""
    return f"user-{uuid.uuid4()}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body = response.json()
    assert isinstance(body, dict)
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem without {key!r}: {body}"
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str), body
        assert body[key], body
    assert "Traceback" not in response.text
    return body


def assert_validation_problem(response: httpx.Response, *fields: str) -> dict[str, Any]:
    """A 422 problem whose ``errors`` names every one of ``fields``."""
    body = assert_problem(response, 422)
    errors = body.get("errors")
    assert isinstance(errors, list), body
    assert errors, body
    for error in errors:
        for key in ("field", "message"):
            assert isinstance(error.get(key), str), error
            assert error[key], error
    named = {error["field"] for error in errors}
    for field in fields:
        assert any(field == name or name.endswith(f".{field}") for name in named), (field, body)
    return body


def parse_timestamp(value: str) -> datetime:
    assert RFC3339_UTC.fullmatch(value), value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.utcoffset() == timedelta(0), value
    return moment.astimezone(UTC)


def next_link(response: httpx.Response) -> str | None:
    """The URL of ``Link: <…>; rel="next"``, or None when there is no next page."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = NEXT_LINK.search(header)
    assert match, f"Link header without rel=next: {header!r}"
    return match.group(1)


async def create_task(client: httpx.AsyncClient, user: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "a task", **fields}
    response = await client.post("/api/tasks", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    task = response.json()
    assert isinstance(task, dict)
    return task


async def list_all(client: httpx.AsyncClient, user: str, url: str) -> list[dict[str, Any]]:
    """Every page of a list, following ``rel=next`` links."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    pages = 0
    while next_url is not None:
        response = await client.get(next_url, headers=auth(user))
        assert response.status_code == 200, response.text
        items.extend(response.json())
        next_url = next_link(response)
        pages += 1
        assert pages < 1000, "pagination does not end"
    return items
