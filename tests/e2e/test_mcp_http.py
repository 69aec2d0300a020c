"""The MCP tools at ``/mcp`` (streamable HTTP), through the official SDK's client, on the
real app: every tool, every error path, isolation between users, tokens, and the same data
through REST."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from dependency_injector import providers
from fastapi import FastAPI
from mcp import MCPError

from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from tests.e2e.helpers import UNREACHABLE_POSTGRES, assert_problem, new_user
from tests.http import auth, make_settings
from tests.mcp import mcp_session, refusal, rest_client, served, structured

TOOL_NAMES = {
    "add_task",
    "list_tasks",
    "get_task",
    "update_task",
    "complete_task",
    "delete_task",
    "task_summary",
}


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    """The app on each storage backend."""
    async with served(make_settings(database_url)) as app:
        yield app


@pytest.fixture
async def memory_app() -> AsyncIterator[FastAPI]:
    """The app on memory://, for what storage cannot change."""
    async with served(make_settings("memory://")) as app:
        yield app


async def test_the_tools_say_the_rest_apis_rules(memory_app: FastAPI) -> None:
    async with mcp_session(memory_app, new_user()) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    assert set(tools) == TOOL_NAMES
    add = tools["add_task"].input_schema
    assert add["required"] == ["title"]
    assert add["additionalProperties"] is False
    assert add["properties"]["title"]["pattern"]
    assert add["properties"]["description"]["anyOf"][0]["maxLength"] == 1000
    assert add["properties"]["due_date"]["anyOf"][0]["format"] == "date"
    assert set(add["$defs"]["Priority"]["enum"]) == {"none", "low", "medium", "high"}
    assert tools["update_task"].input_schema["required"] == ["task_id"]
    assert tools["list_tasks"].input_schema["properties"]["limit"]["maximum"] == 200
    assert tools["delete_task"].annotations.destructive_hint is True
    assert tools["list_tasks"].annotations.read_only_hint is True
    for tool in tools.values():
        assert tool.output_schema is not None
        assert tool.description


async def test_an_agent_manages_its_users_tasks_and_rest_sees_the_same(app: FastAPI) -> None:
    user = new_user()
    async with mcp_session(app, user) as mcp, rest_client(app) as rest:
        added = structured(
            await mcp.call_tool(
                "add_task",
                {"title": " Buy milk ", "priority": "high", "tags": ["errands"], "user_id": user},
            )
        )
        assert added["title"] == "Buy milk"
        assert added["version"] == 1
        task_id = added["id"]

        # REST reads what MCP wrote, document for document (the version also as the ETag).
        response = await rest.get(f"/api/tasks/{task_id}", headers=auth(user))
        assert response.status_code == 200
        assert response.json() == added
        assert response.headers["etag"] == '"1"'

        listed = structured(await mcp.call_tool("list_tasks", {"priority": "high,medium"}))
        assert [task["id"] for task in listed["tasks"]] == [task_id]
        assert listed["next_cursor"] is None

        updated = structured(
            await mcp.call_tool(
                "update_task",
                {"task_id": task_id, "version": 1, "description": "2 litres", "due_date": None},
            )
        )
        assert updated["description"] == "2 litres"
        assert updated["version"] == 2

        result = await mcp.call_tool("complete_task", {"task_id": task_id})
        assert result.content[0].text.startswith('Completed "Buy milk"')  # type: ignore[union-attr]
        assert structured(result)["completed"] is True
        assert (await rest.get(f"/api/tasks/{task_id}", headers=auth(user))).json()["completed"]

        summary = structured(await mcp.call_tool("task_summary", {}))
        assert summary["total"] == 1
        assert summary["completed"] == 1

        fetched = structured(await mcp.call_tool("get_task", {"task_id": task_id}))
        assert fetched["version"] == 3

        deleted = structured(await mcp.call_tool("delete_task", {"task_id": task_id}))
        assert deleted == {"deleted": task_id}
        assert (await rest.get(f"/api/tasks/{task_id}", headers=auth(user))).status_code == 404

        # And what REST writes, MCP reads.
        created = await rest.post("/api/tasks", json={"title": "From REST"}, headers=auth(user))
        listed = structured(await mcp.call_tool("list_tasks", {}))
        assert [task["id"] for task in listed["tasks"]] == [created.json()["id"]]


async def test_another_users_session_sees_and_changes_nothing(app: FastAPI) -> None:
    alice, bob = new_user(), new_user()
    async with mcp_session(app, alice) as mcp:
        task = structured(await mcp.call_tool("add_task", {"title": "Alice's"}))
    async with mcp_session(app, bob) as mcp:
        assert structured(await mcp.call_tool("list_tasks", {}))["tasks"] == []
        assert structured(await mcp.call_tool("task_summary", {}))["total"] == 0
        for name, extra in [
            ("get_task", {}),
            ("update_task", {"title": "Bob's now"}),
            ("complete_task", {}),
            ("delete_task", {}),
        ]:
            message = refusal(await mcp.call_tool(name, {"task_id": task["id"], **extra}))
            assert message.startswith(f"task {task['id']} not found")
        # Naming Alice as the user is refused, not obeyed.
        for name, arguments in [
            ("list_tasks", {"user_id": alice}),
            ("add_task", {"title": "Planted", "user_id": alice}),
            ("delete_task", {"task_id": task["id"], "user_id": alice}),
        ]:
            assert refusal(await mcp.call_tool(name, arguments)).startswith("user_id:")
    async with mcp_session(app, alice) as mcp:
        tasks = structured(await mcp.call_tool("list_tasks", {}))["tasks"]
    assert tasks == [task]


async def test_a_stale_version_changes_nothing(app: FastAPI) -> None:
    async with mcp_session(app, new_user()) as mcp:
        task = structured(await mcp.call_tool("add_task", {"title": "Draft"}))
        structured(await mcp.call_tool("update_task", {"task_id": task["id"], "title": "v2"}))
        for name, extra in [
            ("update_task", {"title": "stale"}),
            ("complete_task", {}),
            ("delete_task", {}),
        ]:
            arguments = {"task_id": task["id"], "version": 1, **extra}
            message = refusal(await mcp.call_tool(name, arguments))
            assert "has changed since it was read" in message
        current = structured(await mcp.call_tool("get_task", {"task_id": task["id"]}))
    assert current["title"] == "v2"
    assert current["version"] == 2
    assert not current["completed"]


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("add_task", {}, "title: is required"),
        ("add_task", {"title": "   "}, "title: must not be blank"),
        ("add_task", {"title": "x" * 201}, "title: "),
        ("add_task", {"title": "a\x00b"}, "title: "),
        ("add_task", {"title": "x", "priority": "urgent"}, "priority: "),
        ("add_task", {"title": "x", "due_date": "31/12/2026"}, "due_date: must be a date"),
        ("add_task", {"title": "x", "due_date": "2026-02-30"}, "due_date: must be a real"),
        ("add_task", {"title": "x", "tags": ["a", "A"]}, "tags: "),
        ("add_task", {"title": "x", "remind_at": "2026-12-24T09:00"}, "remind_at: "),
        (
            "add_task",
            {"title": "x", "recurrence": {"frequency": "weekly", "interval": 1}},
            "recurrence: ",
        ),
        ("add_task", {"title": "x", "id": str(uuid.uuid4())}, "id: is not an argument"),
        ("add_task", {"title": 5}, "title: "),
        ("get_task", {}, "task_id: is required"),
        ("get_task", {"task_id": "42"}, "task_id: "),
        ("list_tasks", {"limit": 0}, "limit: "),
        ("list_tasks", {"status": "done"}, "status: "),
        ("list_tasks", {"cursor": "not-a-cursor"}, "cursor: "),
        ("list_tasks", {"priority": "urgent"}, "priority: "),
        ("list_tasks", {"due_from": "2026-02-01", "due_to": "2026-01-01"}, "due_from: "),
        ("update_task", {"task_id": str(uuid.uuid4()), "title": None}, "title: "),
        ("update_task", {"task_id": str(uuid.uuid4()), "version": 0}, "version: "),
        ("complete_task", {"task_id": str(uuid.uuid4()), "completed": "yes"}, "completed: "),
        ("task_summary", {"today": "tomorrow"}, "today: "),
        ("delete_task", {"task_id": str(uuid.uuid4())}, "not found"),
    ],
)
async def test_bad_input_is_a_one_line_tool_error(
    memory_app: FastAPI, name: str, arguments: dict[str, object], expected: str
) -> None:
    async with mcp_session(memory_app, new_user()) as mcp:
        message = refusal(await mcp.call_tool(name, arguments))
        assert expected in message, message
        # Nothing was written.
        assert structured(await mcp.call_tool("task_summary", {}))["total"] == 0


async def test_pages_follow_next_cursor(app: FastAPI) -> None:
    async with mcp_session(app, new_user()) as mcp:
        for title in ("one", "two", "three"):
            structured(await mcp.call_tool("add_task", {"title": title}))
        first = structured(await mcp.call_tool("list_tasks", {"sort": "title", "limit": 2}))
        assert [task["title"] for task in first["tasks"]] == ["one", "three"]
        arguments = {"sort": "title", "limit": 2, "cursor": first["next_cursor"]}
        second = structured(await mcp.call_tool("list_tasks", arguments))
        assert [task["title"] for task in second["tasks"]] == ["two"]
        assert second["next_cursor"] is None
        # A cursor belongs to its query.
        other = {"sort": "created", "limit": 2, "cursor": first["next_cursor"]}
        assert refusal(await mcp.call_tool("list_tasks", other)).startswith("cursor:")


async def test_completing_a_recurring_task_creates_its_next_occurrence(app: FastAPI) -> None:
    async with mcp_session(app, new_user()) as mcp:
        task = structured(
            await mcp.call_tool(
                "add_task",
                {
                    "title": "Water plants",
                    "due_date": "2026-12-01",
                    "recurrence": {"frequency": "weekly", "interval": 1},
                },
            )
        )
        result = await mcp.call_tool("complete_task", {"task_id": task["id"], "version": 1})
        completed = structured(result)
        assert completed["next_task_id"] is not None
        assert str(completed["next_task_id"]) in result.content[0].text  # type: ignore[union-attr]
        # Completing it again (a retry) creates nothing more.
        structured(await mcp.call_tool("complete_task", {"task_id": task["id"]}))
        pending = structured(await mcp.call_tool("list_tasks", {"status": "pending"}))["tasks"]
        assert [(t["id"], t["due_date"]) for t in pending] == [
            (completed["next_task_id"], "2026-12-08")
        ]
        reopened = structured(
            await mcp.call_tool("complete_task", {"task_id": task["id"], "completed": False})
        )
        assert reopened["completed"] is False


async def test_an_unknown_tool_is_a_protocol_error(memory_app: FastAPI) -> None:
    async with mcp_session(memory_app, new_user()) as mcp:
        with pytest.raises(MCPError, match="no tool is named"):
            await mcp.call_tool("drop_database", {})


async def test_without_a_valid_token_mcp_answers_401_with_the_resource_metadata(
    memory_app: FastAPI,
) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with rest_client(memory_app) as http:
        missing = await http.post("/mcp", json=request)
        forged = await http.post("/mcp", json=request, headers={"Authorization": "Bearer x.y.z"})
    assert_problem(missing, 401)
    assert missing.headers["www-authenticate"] == (
        'Bearer realm="todo-api", resource_metadata='
        '"http://testserver/.well-known/oauth-protected-resource"'
    )
    assert_problem(forged, 401)
    challenge = forged.headers["www-authenticate"]
    assert 'resource_metadata="http://testserver/' in challenge
    assert 'error="invalid_token"' in challenge
    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK's own error for a 401
        async with mcp_session(memory_app, None) as mcp:
            await mcp.list_tools()


async def test_the_protected_resource_metadata_names_better_auth() -> None:
    async with served(make_settings("memory://")) as app, rest_client(app) as http:
        plain = await http.get("/.well-known/oauth-protected-resource")
    assert plain.status_code == 200
    assert plain.json() == {
        "resource": "http://testserver/mcp",
        "bearer_methods_supported": ["header"],
        "resource_name": "Todo API (MCP)",
    }
    settings = make_settings("memory://", better_auth_url="https://auth.example.com")
    async with served(settings) as app, rest_client(app) as http:
        for path in (
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
        ):
            document = (await http.get(path)).json()
            assert document["authorization_servers"] == ["https://auth.example.com"]
            assert document["resource"] == "http://testserver/mcp"


async def test_any_process_serves_any_request_without_a_session(memory_app: FastAPI) -> None:
    """Stateless: a tool call with no initialize before it (as when a load balancer sends
    each request to another process) is served."""
    user = new_user()
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "add_task", "arguments": {"title": "Anywhere"}},
    }
    headers = {
        **auth(user),
        "Accept": "application/json, text/event-stream",
        "Mcp-Protocol-Version": "2025-06-18",
    }
    async with rest_client(memory_app) as http:
        response = await http.post("/mcp", json=call, headers=headers)
        assert response.status_code == 200, response.text
        assert "mcp-session-id" not in response.headers
        result = response.json()["result"]
        assert result["isError"] is False
        assert result["structuredContent"]["title"] == "Anywhere"
        listed = await http.get("/api/tasks", headers=auth(user))
    assert [task["title"] for task in listed.json()] == ["Anywhere"]


async def test_the_apis_body_limit_applies(memory_app: FastAPI) -> None:
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "add_task", "arguments": {"title": "x", "description": "y" * 70_000}},
    }
    async with rest_client(memory_app) as http:
        response = await http.post("/mcp", json=call, headers=auth(new_user()))
    assert_problem(response, 413)


async def test_a_database_that_is_away_is_a_tool_error_in_time() -> None:
    settings = make_settings(UNREACHABLE_POSTGRES, db_connect_timeout=1, db_operation_timeout=1.5)
    async with served(settings) as app, mcp_session(app, new_user()) as mcp:
        message = refusal(await mcp.call_tool("add_task", {"title": "Lost?"}))
    assert message == "the database is unavailable right now; retry in a few seconds"


async def test_a_bug_is_a_generic_tool_error_and_a_log_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Broken:
        async def execute(self, *_args: object, **_kwargs: object) -> None:
            raise RuntimeError("secret detail")

    container = build_container(make_settings("memory://"))
    container.get_task_summary.override(providers.Object(Broken()))
    app = create_app(container)
    async with app.router.lifespan_context(app), mcp_session(app, new_user()) as mcp:
        message = refusal(await mcp.call_tool("task_summary", {}))
    assert message == "something went wrong on our side; nothing more is known here"
    assert "secret detail" not in message
    log = capsys.readouterr().err
    assert "tool task_summary failed unexpectedly" in log
    assert "RuntimeError: secret detail" in log  # the traceback, for whoever fixes it


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
async def test_only_post_is_served(memory_app: FastAPI, method: str) -> None:
    """A stateless server has no event stream to offer (a GET would stay open, idle, for
    good) and no session to end."""
    async with rest_client(memory_app) as http:
        response = await http.request(
            method, "/mcp", headers={**auth(new_user()), "Accept": "text/event-stream"}
        )
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


async def test_the_app_serves_mcp_again_after_a_restart() -> None:
    """A lifespan may run more than once on one app (a test client per test, a server's
    reload): each run gets MCP going again."""
    app = create_app(build_container(make_settings("memory://")))
    for title in ("first run", "second run"):
        async with app.router.lifespan_context(app), mcp_session(app, new_user()) as mcp:
            assert structured(await mcp.call_tool("add_task", {"title": title}))["title"] == title
