"""``todo-admin mcp --user ID``: the real console script serving the MCP tools over stdio,
driven by the official SDK's stdio client, on an SQLite file the REST API then reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.databases import fresh_sqlite_database
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, new_user
from tests.http import auth, make_settings
from tests.mcp import refusal, rest_client, served, structured

TODO_ADMIN = str(Path(sys.executable).with_name("todo-admin"))


def _environment(database_url: str) -> dict[str, str]:
    return {**os.environ, **NEUTRAL_ENVIRONMENT, "DATABASE_URL": database_url}


def _server(user: str, database_url: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=TODO_ADMIN, args=["mcp", "--user", user], env=_environment(database_url)
    )


async def test_a_local_agent_works_on_its_users_tasks(tmp_path: Path) -> None:
    alice, bob = new_user(), new_user()
    with fresh_sqlite_database(tmp_path) as url:
        async with Client(_server(alice, url)) as mcp:
            names = {tool.name for tool in (await mcp.list_tools()).tools}
            assert "add_task" in names
            assert "task_summary" in names
            task = structured(
                await mcp.call_tool("add_task", {"title": "Renew passport", "priority": "high"})
            )
            kept = structured(await mcp.call_tool("add_task", {"title": "Call mum"}))
            updated = structured(
                await mcp.call_tool(
                    "update_task", {"task_id": task["id"], "due_date": "2026-12-24", "version": 1}
                )
            )
            assert updated["due_date"] == "2026-12-24"
            assert structured(await mcp.call_tool("complete_task", {"task_id": task["id"]}))[
                "completed"
            ]
            assert structured(await mcp.call_tool("get_task", {"task_id": kept["id"]})) == kept
            summary = structured(await mcp.call_tool("task_summary", {}))
            assert (summary["total"], summary["completed"]) == (2, 1)
            assert structured(await mcp.call_tool("delete_task", {"task_id": kept["id"]}))
            listed = structured(await mcp.call_tool("list_tasks", {}))["tasks"]
            assert [t["id"] for t in listed] == [task["id"]]
            # The errors of the HTTP transport, here too.
            assert refusal(await mcp.call_tool("add_task", {"title": ""})).startswith("title:")
            assert "not found" in refusal(await mcp.call_tool("get_task", {"task_id": kept["id"]}))
            assert refusal(await mcp.call_tool("list_tasks", {"user_id": bob})).startswith(
                "user_id:"
            )

        # The REST API on the same database sees Alice's task, and Bob's session none of it.
        async with served(make_settings(url)) as app, rest_client(app) as rest:
            response = await rest.get("/api/tasks", headers=auth(alice))
            assert [t["id"] for t in response.json()] == [task["id"]]
            assert (await rest.get("/api/tasks", headers=auth(bob))).json() == []
        async with Client(_server(bob, url)) as mcp:
            assert structured(await mcp.call_tool("list_tasks", {}))["tasks"] == []
            message = refusal(await mcp.call_tool("delete_task", {"task_id": task["id"]}))
            assert "not found" in message


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["mcp"], 2, "--user"),
        (["mcp", "--user", " "], 2, "--user"),
    ],
)
def test_the_command_needs_a_user(
    tmp_path: Path, arguments: list[str], exit_code: int, message: str
) -> None:
    result = subprocess.run(
        [TODO_ADMIN, *arguments],
        env=_environment(f"sqlite:///{tmp_path / 'todo.db'}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unmigrated_database_is_refused_at_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [TODO_ADMIN, "mcp", "--user", "alice"],
        env=_environment(f"sqlite:///{tmp_path / 'empty.db'}"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "todo-admin: error: the database schema is missing or behind: run `todo-admin db upgrade`"
    ]
