"""Structured logs (LOG_FORMAT=json): one JSON object per request with the request id, the
user id, the route template, the status and the latency; and never a token or a task's
contents, whatever happens (success, refusal, internal error)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.sql.engine import normalize_database_url, sync_database_url
from tests.e2e.helpers import new_user
from tests.http import app_client, make_settings, token_for

SECRET_TITLE = f"Top secret title {uuid.uuid4().hex}"
SECRET_DESCRIPTION = f"confidential notes {uuid.uuid4().hex}"
SECRET_SEARCH = f"needle{uuid.uuid4().hex[:8]}"


def log_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert entries
    return entries


def access_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["logger"] == "todo_api.access"]


async def traffic(client: httpx.AsyncClient, user: str, token: str) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    created = await client.post(
        "/api/tasks",
        json={"title": SECRET_TITLE, "description": SECRET_DESCRIPTION},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    return [
        created,
        await client.get(f"/api/tasks/{task_id}", headers=headers),
        await client.get(f"/api/tasks?q={SECRET_SEARCH}", headers=headers),
        await client.post(
            f"/api/{user}/tasks/{task_id}", json={"title": SECRET_TITLE + "!"}, headers=headers
        ),
        await client.patch(f"/api/{user}/tasks/{task_id}/complete", headers=headers),
        await client.post("/api/tasks", json={"title": SECRET_TITLE, "x": 1}, headers=headers),
        await client.get("/api/tasks", headers={"Authorization": f"Bearer {token}tampered"}),
        await client.get("/nowhere", headers=headers),
        await client.delete(f"/api/tasks/{task_id}", headers=headers),
        await client.get("/healthz"),
    ]


def assert_nothing_secret(text: str, token: str) -> None:
    for secret in (token, token.split(".")[2], SECRET_TITLE, SECRET_DESCRIPTION, SECRET_SEARCH):
        assert secret not in text, f"{secret[:20]}… leaked into the logs"


@pytest.mark.parametrize("database_url", ["memory://"])
async def test_each_request_logs_one_json_line_with_its_context(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    user = new_user()
    token = token_for(user)
    async with app_client(make_settings(database_url, log_format="json")) as client:
        responses = await traffic(client, user, token)
    output = capsys.readouterr()
    entries = log_lines(output.err + output.out)
    access = access_entries(entries)
    assert len(access) == len(responses)
    expected_routes = [
        ("POST", "/api/tasks", 201, user),
        ("GET", "/api/tasks/{task_id}", 200, user),
        ("GET", "/api/tasks", 200, user),
        ("POST", "/api/{user_id}/tasks/{task_id}", 405, None),
        ("PATCH", "/api/{user_id}/tasks/{task_id}/complete", 200, user),
        ("POST", "/api/tasks", 422, user),
        ("GET", "/api/tasks", 401, None),
        ("GET", "<unmatched>", 404, None),
        ("DELETE", "/api/tasks/{task_id}", 204, user),
        ("GET", "/healthz", 200, None),
    ]
    for entry, response, (method, route, status, user_id) in zip(
        access, responses, expected_routes, strict=True
    ):
        assert entry["level"] == "INFO"
        assert entry["method"] == method
        assert entry["route"] == route  # the template, never the raw path
        assert entry["status"] == status == response.status_code
        assert entry["user_id"] == user_id
        assert entry["request_id"] == response.headers["x-request-id"]
        assert isinstance(entry["latency_ms"], int | float)
        assert entry["latency_ms"] >= 0
        assert "time" in entry
    assert_nothing_secret(output.err + output.out, token)


async def test_internal_errors_are_logged_with_the_request_id_but_no_task_contents(
    own_sql_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Database errors carry the statement and its parameters (the task's title, its
    description, the user id): the 500 is logged with its traceback and request id, but
    the parameters stay out."""
    user = new_user()
    token = token_for(user)
    headers = {"Authorization": f"Bearer {token}"}
    async with app_client(make_settings(own_sql_database, log_format="json")) as client:
        engine = sa.create_engine(sync_database_url(normalize_database_url(own_sql_database)))
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(
                    sa.text(
                        "CREATE TRIGGER no_inserts BEFORE INSERT ON tasks"
                        " BEGIN SELECT RAISE(ABORT, 'no inserts today'); END"
                    )
                )
            else:
                connection.execute(
                    sa.text("ALTER TABLE tasks ADD CONSTRAINT no_inserts CHECK (title <> title)")
                )
        engine.dispose()
        failed = await client.post(
            "/api/tasks",
            json={"title": SECRET_TITLE, "description": SECRET_DESCRIPTION},
            headers=headers,
        )
    assert failed.status_code == 500, failed.text
    output = capsys.readouterr()
    text = output.err + output.out
    entries = log_lines(text)
    (error,) = [entry for entry in entries if entry["level"] == "ERROR"]
    assert failed.headers["x-request-id"] in error["message"]
    assert "Traceback" in error["exception"]
    (access,) = access_entries(entries)
    assert access["status"] == 500
    assert access["request_id"] == failed.headers["x-request-id"]
    assert_nothing_secret(text, token)
