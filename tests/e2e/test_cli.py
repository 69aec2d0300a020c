"""``todo-admin`` through Typer's runner, and once for real: console script + uvicorn."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from jose import jwt

from tests.databases import fresh_postgres_database
from tests.e2e.helpers import (
    NEUTRAL_ENVIRONMENT,
    UNREACHABLE_POSTGRES,
    assert_clean_failure,
    free_port,
    invoke,
)
from tests.http import SECRET, app_client, make_settings

# --- db -----------------------------------------------------------------------------------


def test_db_upgrade_migrates_a_fresh_sqlite_file(
    cli_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "new-directory" / "todo.db"
    cli_env.setenv("DATABASE_URL", f"sqlite:///{database}")

    upgraded = invoke("db", "upgrade")

    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.startswith("database at revision ")
    assert database.exists()
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"tasks", "alembic_version"} <= tables
    current = invoke("db", "current")
    assert current.exit_code == 0, current.output
    assert "up to date" in current.stdout
    # Upgrading an up-to-date database is a no-op, not an error.
    again = invoke("db", "upgrade")
    assert again.exit_code == 0, again.output
    assert again.stdout == upgraded.stdout


@pytest.mark.postgres
def test_db_upgrade_migrates_a_fresh_postgres_database(cli_env: pytest.MonkeyPatch) -> None:
    with fresh_postgres_database(migrate=False) as url:
        cli_env.setenv("DATABASE_URL", url)

        before = invoke("db", "current")
        upgraded = invoke("db", "upgrade")
        after = invoke("db", "current")

    assert before.exit_code == 0, before.output
    assert "empty" in before.stdout
    assert "up to date" not in before.stdout
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout.startswith("database at revision ")
    assert after.exit_code == 0, after.output
    assert "up to date" in after.stdout


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "current")])
def test_an_unreachable_database_is_exit_4_with_one_line(
    cli_env: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    cli_env.setenv("DATABASE_URL", UNREACHABLE_POSTGRES)

    started = time.monotonic()
    result = invoke(*command)

    assert_clean_failure(result, 4)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("url", "exit_code"),
    [("memory://", 3), ("mysql://root@localhost/todo", 3), ("not a url", 3)],
    ids=["memory", "mysql", "garbage"],
)
def test_db_upgrade_refuses_a_database_url_it_cannot_migrate(
    cli_env: pytest.MonkeyPatch, url: str, exit_code: int
) -> None:
    cli_env.setenv("DATABASE_URL", url)

    assert_clean_failure(invoke("db", "upgrade"), exit_code)


# --- token mint ---------------------------------------------------------------------------


async def test_token_mint_prints_a_token_the_api_accepts(cli_env: pytest.MonkeyPatch) -> None:
    before = int(time.time())
    result = invoke("token", "mint", "--user", "alice", "--ttl", "60")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 60
    assert before + 60 <= claims["exp"] <= int(time.time()) + 60

    async with app_client(make_settings("memory://")) as client:
        headers = {"Authorization": f"Bearer {token}"}
        created = await client.post("/api/tasks", json={"title": "from cli"}, headers=headers)
        listed = await client.get("/api/tasks", headers=headers)

    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == "alice"
    assert [task["title"] for task in listed.json()] == ["from cli"]


def test_token_mint_defaults_to_one_hour(cli_env: pytest.MonkeyPatch) -> None:
    result = invoke("token", "mint", "--user", "bob")

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    "secret", ["", "   ", "too-short", "x" * 31], ids=["missing", "blank", "short", "31-chars"]
)
def test_token_mint_without_a_strong_secret_is_exit_3(
    cli_env: pytest.MonkeyPatch, secret: str
) -> None:
    cli_env.setenv("BETTER_AUTH_SECRET", secret)

    line = assert_clean_failure(invoke("token", "mint", "--user", "alice"), 3)

    assert "BETTER_AUTH_SECRET" in line
    assert secret.strip() == "" or secret not in line


def test_token_mint_with_the_secret_unset_is_exit_3(cli_env: pytest.MonkeyPatch) -> None:
    cli_env.delenv("BETTER_AUTH_SECRET")
    if (Path(__file__).resolve().parents[2] / ".env").exists():
        pytest.skip("a .env file provides BETTER_AUTH_SECRET; covered by the 'missing' case")

    line = assert_clean_failure(invoke("token", "mint", "--user", "alice"), 3)

    assert "BETTER_AUTH_SECRET" in line


@pytest.mark.parametrize(
    "args",
    [
        ["--user", "alice", "--ttl", "0"],
        ["--user", "alice", "--ttl", "-5"],
        ["--user", "alice", "--ttl", "soon"],
        ["--user", "alice", "--ttl", str(10 * 365 * 24 * 3600)],
        ["--ttl", "60"],
        ["--user", "   "],
        ["--user", "alice", "--unknown"],
    ],
    ids=["ttl-zero", "ttl-negative", "ttl-text", "ttl-ten-years", "no-user", "blank-user", "extra"],
)
def test_token_mint_usage_errors_are_exit_2(cli_env: pytest.MonkeyPatch, args: list[str]) -> None:
    result = invoke("token", "mint", *args)

    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.stderr.strip()


@pytest.mark.parametrize("args", [[], ["db"], ["token"]], ids=["none", "db", "token"])
def test_without_a_command_the_help_is_shown(cli_env: pytest.MonkeyPatch, args: list[str]) -> None:
    result = invoke(*args)

    # Click ≥ 8.2 shows the help and exits with 2 (a usage error) for no_args_is_help.
    assert result.exit_code in (0, 2)
    assert "Usage: todo-admin" in result.output
    assert "Traceback" not in result.output


def test_the_help_lists_the_commands(cli_env: pytest.MonkeyPatch) -> None:
    result = invoke("--help")

    assert result.exit_code == 0
    for word in ("db", "token"):
        assert word in result.stdout
    assert "upgrade" in invoke("db", "--help").stdout
    assert "--ttl" in invoke("token", "mint", "--help").stdout


# --- for real: the console script and the server ------------------------------------------


def todo_admin_script() -> str:
    beside_python = Path(sys.executable).parent / "todo-admin"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("todo-admin")
    if found is None:
        pytest.fail("the todo-admin console script is not installed (run `make install`)")
    return found


def wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read().decode(errors="replace") if server.stdout else ""
            pytest.fail(f"the server exited with {server.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"the server did not answer /healthz within {timeout} s")


def test_console_script_migrates_and_mints_a_token_the_real_server_accepts(
    tmp_path: Path,
) -> None:
    project_root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "PYTHONPATH": str(project_root),
    }
    script = todo_admin_script()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Each Python process spends most of its start-up importing; run the three at once (the
    # server touches the database only when the first request comes).
    server = subprocess.Popen(
        [
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
        ],
        env=env,
        cwd=project_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    commands = {
        "upgrade": [script, "db", "upgrade"],
        "mint": [script, "token", "mint", "--user", "carol", "--ttl", "120"],
    }
    running = {
        name: subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for name, command in commands.items()
    }
    try:
        outputs = {name: process.communicate(timeout=60) for name, process in running.items()}
        for name, process in running.items():
            assert process.returncode == 0, (name, outputs[name][1].decode())
        assert outputs["upgrade"][0].decode().startswith("database at revision ")
        token = outputs["mint"][0].decode().strip()
        wait_until_healthy(base_url, server, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=5) as http:
            created = http.post("/api/tasks", json={"title": "served for real"})
            listed = http.get("/api/tasks")
            ready = http.get("/readyz")
            anonymous = http.get("/api/tasks", headers={"Authorization": ""})
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=5)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        if server.stdout:
            server.stdout.close()

    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == "carol"
    assert created.headers["location"] == f"/api/tasks/{created.json()['id']}"
    assert listed.status_code == 200
    assert [task["title"] for task in listed.json()] == ["served for real"]
    assert ready.status_code == 200
    assert anonymous.status_code == 401
    # The task really is in the SQLite file the CLI migrated.
    with sqlite3.connect(tmp_path / "served.db") as connection:
        rows = connection.execute("SELECT user_id, title FROM tasks").fetchall()
    assert rows == [("carol", "served for real")]
