"""What an MCP tool call costs beside the REST request doing the same work, in one process.

Both go through the whole app in-process (httpx's ASGI transport: middleware, bearer check,
use case, storage); the MCP calls are the JSON-RPC POSTs a stateless client sends. Sequential,
interleaved in rounds so both see the same machine state; medians per operation and their
ratio. Storage is SQLite (a temporary file) or memory://.

    .venv/bin/python -m bench.mcp_overhead [--calls 300] [--storage sqlite|memory]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from adapters.identity.shared_secret import SharedSecretMinter
from adapters.sql.engine import normalize_database_url
from adapters.sql.migrate import upgrade
from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings

SECRET = "bench-secret-that-is-long-enough-0123456789abcdef"
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Mcp-Protocol-Version": "2025-06-18",
}


class Calls:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.auth = {"Authorization": f"Bearer {token}"}
        self._id = 0

    async def tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self._id += 1
        body = {
            "jsonrpc": "2.0",
            "id": self._id,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        }
        response = await self.http.post("/mcp", json=body, headers={**self.auth, **MCP_HEADERS})
        result = response.json()["result"]
        assert not result["isError"], result
        return dict(result["structuredContent"])

    async def rest(self, method: str, path: str, json: Any = None) -> httpx.Response:
        response = await self.http.request(method, path, json=json, headers=self.auth)
        assert response.status_code < 300, response.text
        return response


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def run(calls_per_op: int, database_url: str) -> dict[str, tuple[float, float]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        better_auth_secret=SECRET,
        rate_limit_per_user=0,  # a benchmark is the script the limit is for
    )
    app = create_app(build_container(settings))
    timings: dict[str, dict[str, list[float]]] = {}

    def record(op: str, side: str, seconds: float) -> None:
        timings.setdefault(op, {"rest": [], "mcp": []})[side].append(seconds)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        c = Calls(http, SharedSecretMinter(SECRET).mint("bench-user", 3600))
        for i in range(60):  # a list of 50 to read, and warm-up
            await c.rest("POST", "/api/tasks", {"title": f"seed {i}"})
        for _ in range(calls_per_op):
            rest_id = (await c.rest("POST", "/api/tasks", {"title": "Buy milk"})).json()["id"]
            mcp_id = (await c.tool("add_task", {"title": "Buy milk"}))["id"]
            operations: list[
                tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]
            ] = [
                (
                    "create",
                    partial(c.rest, "POST", "/api/tasks", {"title": "Buy bread"}),
                    partial(c.tool, "add_task", {"title": "Buy bread"}),
                ),
                (
                    "list 50",
                    partial(c.rest, "GET", "/api/tasks?limit=50"),
                    partial(c.tool, "list_tasks", {"limit": 50}),
                ),
                (
                    "get",
                    partial(c.rest, "GET", f"/api/tasks/{rest_id}"),
                    partial(c.tool, "get_task", {"task_id": mcp_id}),
                ),
                (
                    "complete",
                    partial(c.rest, "PATCH", f"/api/tasks/{rest_id}", {"completed": True}),
                    partial(c.tool, "complete_task", {"task_id": mcp_id}),
                ),
                (
                    "delete",
                    partial(c.rest, "DELETE", f"/api/tasks/{rest_id}"),
                    partial(c.tool, "delete_task", {"task_id": mcp_id}),
                ),
            ]
            for op, rest_call, mcp_call in operations:
                record(op, "rest", await _timed(rest_call))
                record(op, "mcp", await _timed(mcp_call))
    return {
        op: (statistics.median(sides["rest"]), statistics.median(sides["mcp"]))
        for op, sides in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per operation and side")
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = "memory://"
        if args.storage == "sqlite":
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
            upgrade(normalize_database_url(url))
        medians = asyncio.run(run(args.calls, url))
    print(f"storage {args.storage}, {args.calls} calls per operation and side, in-process")
    print("| operation | REST median (ms) | MCP median (ms) | MCP / REST |")
    print("|---|---|---|---|")
    for op, (rest, mcp) in medians.items():
        print(f"| {op} | {rest * 1000:.2f} | {mcp * 1000:.2f} | {mcp / rest:.2f}x |")


if __name__ == "__main__":
    main()
