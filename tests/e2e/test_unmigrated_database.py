"""A database that is not migrated (or not to this code's revision) is a deployment step
not taken: readiness fails, requests answer 503 problems that say what to run, the log says
so in one line; a bad configuration stops the server with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.sql.engine import normalize_database_url, sync_database_url
from adapters.sql.migrate import upgrade
from tests.databases import SQL_BACKENDS, fresh_database
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, assert_problem, new_user
from tests.http import app_client, auth, make_settings
from tests.mcp import mcp_session, refusal, served

HINT = "run `todo-admin db upgrade`"


@pytest.fixture(params=SQL_BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own with no schema at all."""
    with fresh_database(request.param, tmp_path, migrate=False) as url:
        yield url


def _execute(url: str, statement: str) -> None:
    engine = sa.create_engine(sync_database_url(normalize_database_url(url)))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


async def test_no_schema_is_not_ready_and_every_request_says_what_to_run(
    empty_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    user = new_user()
    async with app_client(make_settings(empty_database)) as client:
        ready = await client.get("/readyz")
        listed = await client.get("/api/tasks", headers=auth(user))
        created = await client.post("/api/tasks", json={"title": "x"}, headers=auth(user))
        alive = await client.get("/healthz")
    for response in (ready, listed, created):
        body = assert_problem(response, 503)
        assert body["detail"].endswith(HINT), body
    assert created.headers["retry-after"] == "30"
    assert alive.status_code == 200
    log = [line for line in capsys.readouterr().err.splitlines() if HINT in line]
    assert len(log) >= 2  # one line per refused request, no traceback
    assert all("ERROR" in line for line in log)


async def test_mcp_tools_say_what_to_run_too(empty_database: str) -> None:
    async with served(make_settings(empty_database)) as app, mcp_session(app, new_user()) as mcp:
        message = refusal(await mcp.call_tool("add_task", {"title": "x"}))
    assert message.endswith(HINT)


async def test_a_schema_behind_this_code_is_not_ready(empty_database: str) -> None:
    upgrade(normalize_database_url(empty_database), "0002")
    async with app_client(make_settings(empty_database)) as client:
        ready = await client.get("/readyz")
    body = assert_problem(ready, 503)
    assert body["detail"] == f"the database schema is at revision 0002: {HINT}"


async def test_a_schema_ahead_of_this_code_is_ready(empty_database: str) -> None:
    """During a rolling deploy the new release migrates first; processes of the old one
    keep serving."""
    upgrade(normalize_database_url(empty_database))
    _execute(empty_database, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    async with app_client(make_settings(empty_database)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"BETTER_AUTH_SECRET": "too-short"},
            "todo-api: BETTER_AUTH_SECRET must be at least 32 characters",
        ),
        (
            {"DB_POOL_SIZE": "many"},
            "todo-api: invalid configuration: DB_POOL_SIZE: Input should be a valid integer,"
            " unable to parse string as an integer",
        ),
    ],
)
def test_a_bad_configuration_stops_the_server_with_one_line(
    environment: dict[str, str], message: str
) -> None:
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    result = subprocess.run(
        [uvicorn, "entrypoints.http.app:app", "--port", "0"],
        env={**os.environ, **NEUTRAL_ENVIRONMENT, "DATABASE_URL": "memory://", **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [message]


@pytest.mark.parametrize("backend", SQL_BACKENDS)
async def test_a_table_gone_under_the_running_service_is_a_503_until_it_is_back(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        user = new_user()
        async with app_client(make_settings(url)) as client:
            created = await client.post("/api/tasks", json={"title": "x"}, headers=auth(user))
            _execute(url, "ALTER TABLE tasks RENAME TO tasks_moved")
            gone = await client.get("/api/tasks", headers=auth(user))
            _execute(url, "ALTER TABLE tasks_moved RENAME TO tasks")
            back = await client.get("/api/tasks", headers=auth(user))
    assert assert_problem(gone, 503)["detail"].endswith(HINT)
    assert "tasks_moved" not in gone.text
    assert [task["id"] for task in back.json()] == [created.json()["id"]]
