"""Latency on a remote database: each operation's median time with the database 0 and D ms
away, and the round trips it costs (counted by the proxy, and implied by the times).

    make bench BENCH_ARGS="--latency"     # or: .venv/bin/python -m bench.latency [options]

The service runs (one uvicorn worker) against a throw-away PostgreSQL database through
``bench/proxy.py``, once with no delay and once with ``--delay`` ms in each direction (a
round trip of 2 x delay, as to Neon from a neighbouring region). Requests are sequential;
each operation runs ``--repeat`` times on fresh targets and its median is reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from adapters.identity.shared_secret import SharedSecretMinter
from bench.proxy import DelayingProxy, running_proxy
from bench.run import ROOT, SECRET, server
from bench.seeding import DEFAULT_SERVER_URL, scratch_database, seed_tasks

RESULTS = ROOT / "bench" / "results"
OWNER = "latency-user"
JSON = {"Content-Type": "application/json"}


@dataclass
class Request:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None


# An operation: given a client, set up what one measured request needs (unmeasured) and
# return that request.
Prepare = Callable[[httpx.Client], Request]


def _create(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": f"task {uuid.uuid4().hex[:8]}", **fields}
    response = client.post("/api/tasks", json=body)
    response.raise_for_status()
    task: dict[str, Any] = response.json()
    task["etag"] = response.headers["ETag"]
    return task


def _recurring(client: httpx.Client) -> dict[str, Any]:
    return _create(client, due_date="2026-12-24", recurrence={"frequency": "weekly", "interval": 1})


class Replay:
    """A keyed create made once (unmeasured), then its retry measured."""

    def __call__(self, client: httpx.Client) -> Request:
        key = uuid.uuid4().hex
        body = {"title": "keyed"}
        client.post("/api/tasks", json=body, headers={"Idempotency-Key": key}).raise_for_status()
        return Request("POST", "/api/tasks", body, {"Idempotency-Key": key})


def _batch(action: str) -> Prepare:
    def prepare(client: httpx.Client) -> Request:
        ids = [_create(client)["id"] for _ in range(5)]
        return Request("POST", "/api/tasks/batch", {"action": action, "ids": ids})

    return prepare


def _clear_completed(client: httpx.Client) -> Request:
    for _ in range(2):
        task = _create(client)
        client.patch(f"/api/tasks/{task['id']}", json={"completed": True}).raise_for_status()
    return Request("DELETE", "/api/tasks?status=completed")


OPERATIONS: dict[str, Prepare] = {
    "list 50": lambda c: Request("GET", "/api/tasks?limit=50"),
    "get": lambda c: Request("GET", f"/api/tasks/{_create(c)['id']}"),
    "create": lambda c: Request("POST", "/api/tasks", {"title": "new task"}),
    "create with tags": lambda c: Request(
        "POST", "/api/tasks", {"title": "new task", "tags": ["home", "work"]}
    ),
    "create with Idempotency-Key": lambda c: Request(
        "POST", "/api/tasks", {"title": "keyed"}, {"Idempotency-Key": uuid.uuid4().hex}
    ),
    "its replay": Replay(),
    "PUT": lambda c: Request("PUT", f"/api/tasks/{_create(c)['id']}", {"title": "put"}),
    "PATCH": lambda c: Request("PATCH", f"/api/tasks/{_create(c)['id']}", {"title": "patched"}),
    "PATCH tags": lambda c: Request(
        "PATCH", f"/api/tasks/{_create(c, tags=['a'])['id']}", {"tags": ["a", "b"]}
    ),
    "PATCH with If-Match": lambda c: (
        lambda t: Request("PATCH", f"/api/tasks/{t['id']}", {"title": "p"}, {"If-Match": t["etag"]})
    )(_create(c)),
    "complete a recurring task": lambda c: Request(
        "PATCH", f"/api/tasks/{_recurring(c)['id']}", {"completed": True}
    ),
    "toggle (compatibility)": lambda c: Request(
        "PATCH", f"/api/{OWNER}/tasks/{_create(c)['id']}/complete"
    ),
    "DELETE": lambda c: Request("DELETE", f"/api/tasks/{_create(c)['id']}"),
    "DELETE with If-Match": lambda c: (
        lambda t: Request("DELETE", f"/api/tasks/{t['id']}", headers={"If-Match": t["etag"]})
    )(_create(c)),
    "batch complete 5": _batch("complete"),
    "batch delete 5": _batch("delete"),
    "clear completed": _clear_completed,
}


@dataclass
class Measured:
    median_ms: float
    round_trips: int


def measure(client: httpx.Client, proxy: DelayingProxy, prepare: Prepare, repeat: int) -> Measured:
    times: list[float] = []
    trips: list[int] = []
    for _ in range(repeat):
        request = prepare(client)
        before = proxy.round_trips
        started = time.perf_counter()
        response = client.request(
            request.method, request.path, json=request.body, headers=request.headers
        )
        elapsed = time.perf_counter() - started
        trips.append(proxy.round_trips - before)
        if response.status_code >= 400:
            raise RuntimeError(f"{request.method} {request.path}: {response.status_code}")
        times.append(elapsed * 1000)
    return Measured(statistics.median(times), round(statistics.median(trips)))


def run_once(database_url: str, delay_ms: float, repeat: int, root: Path) -> dict[str, Measured]:
    url = make_url(database_url)
    with running_proxy(url.host or "127.0.0.1", url.port or 5432, delay_ms / 1000) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = {"MAX_TASKS_PER_USER": "100000"}
        with server("service", "entrypoints.http.app:app", proxied, 1, root, env) as base:
            token = SharedSecretMinter(SECRET).mint(OWNER, 3600)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for _ in range(5):  # warm: the pool's connections, the first statements
                    _create(client)
                    client.get("/api/tasks?limit=50")
                return {
                    name: measure(client, proxy, prepare, repeat)
                    for name, prepare in OPERATIONS.items()
                }


def table(delay_ms: float, at_zero: dict[str, Measured], delayed: dict[str, Measured]) -> str:
    rtt = 2 * delay_ms
    lines = [
        f"| operation | median at 0 ms (ms) | median at {rtt:g} ms RTT (ms) | implied round trips"
        " | counted round trips |",
        "|---|---|---|---|---|",
    ]
    for name in OPERATIONS:
        zero, late = at_zero[name], delayed[name]
        implied = (late.median_ms - zero.median_ms) / rtt
        lines.append(
            f"| {name} | {zero.median_ms:.1f} | {late.median_ms:.1f} | {implied:.1f}"
            f" | {late.round_trips} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--delay", type=float, default=15.0, help="ms each way")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="run the service of another checkout"
    )
    args = parser.parse_args()
    with scratch_database(args.server_url, "bench_latency") as database_url:
        with __import__("psycopg").connect(database_url) as conn:
            seed_tasks(conn, (OWNER for _ in range(200)))
        at_zero = run_once(database_url, 0.0, args.repeat, args.checkout)
        delayed = run_once(database_url, args.delay, args.repeat, args.checkout)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = f"Latency, {stamp}, checkout {args.checkout}\n\n" + table(args.delay, at_zero, delayed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latency-latest.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
