"""CPU per request, in process: the ASGI app driven directly (no HTTP server, no load
generator sharing the cores), 32 requests in flight, on a seeded PostgreSQL database.

    .venv/bin/python -m bench.cpu [--checkout DIR] [--fastapi-floor] [--requests N]

Each round runs one fresh process per app — the service of this checkout, the service of
``--checkout`` (a git worktree of an earlier commit: the before of a before/after), with
``--fastapi-floor`` bench/fastapi_floor.py's app, and the raw baseline (bench/baseline.py)
— for the ``list`` (50 tasks, with its next-page link) and ``create`` scenarios, and
reports the process's CPU time per request (the median over the rounds). Steadier than wrk
for small changes: the figure is the app's own work, on one core, without uvicorn's HTTP
parsing or wrk's CPU in it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.run import ROOT, SMALL_TASKS_EACH, SMALL_USERS, app_env, seed
from bench.seeding import DEFAULT_SERVER_URL, scratch_database

SERVICE = "entrypoints.http.app:app"
BASELINE = "bench.baseline:app"
SCENARIOS = ("list", "create")

# Runs in the measured process: imports the app of ``root``, runs its lifespan, drives it.
DRIVER = r"""
import asyncio, importlib, json, logging, os, sys, time
root, app_path, scenario, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, root)
logging.disable(logging.WARNING)
import uvloop
from adapters.identity.shared_secret import SharedSecretMinter
minter = SharedSecretMinter(os.environ["BETTER_AUTH_SECRET"])
tokens = [minter.mint(f"bench-user-{u:05d}", 3600).encode() for u in range(100)]
module, _, name = app_path.partition(":")
app = getattr(importlib.import_module(module), name)

def request(i):
    auth = [(b"host", b"bench"), (b"authorization", b"Bearer " + tokens[i % 100])]
    if scenario == "list":
        return "GET", b"limit=50", auth, b""
    body = b'{"title":"Benchmark task %d","due_date":"2026-12-24"}' % i
    typed = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    return "POST", b"", auth + typed, body

async def one(i):
    method, query, headers, body = request(i)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": "/api/tasks",
             "raw_path": b"/api/tasks", "query_string": query, "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
             "state": {}}
    sent = False
    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
    statuses = []
    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
    await app(scope, receive, send)
    if statuses[0] >= 300:
        raise RuntimeError(f"{method} answered {statuses[0]}")

async def main():
    inbox, outbox = asyncio.Queue(), asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"},
                                          "state": {}}, inbox.get, outbox.put))
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    numbers = iter(range(10**9))
    async def loop(n):
        for _ in range(n):
            await one(next(numbers))
    await asyncio.gather(*(loop(20) for _ in range(32)))  # warm: pools, caches
    each = total // 32
    cpu = time.process_time()
    await asyncio.gather(*(loop(each) for _ in range(32)))
    cpu = time.process_time() - cpu
    print(json.dumps({"cpu_us": cpu / (each * 32) * 1e6}))
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan

uvloop.run(main())
"""


def measure(root: Path, app: str, scenario: str, requests: int, database_url: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, str(root), app, scenario, str(requests)],
        env=app_env(database_url, root),
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["cpu_us"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--checkout", type=Path, help="also measure the service of this tree")
    parser.add_argument(
        "--fastapi-floor", action="store_true", help="also bench/fastapi_floor.py's app"
    )
    parser.add_argument("--requests", type=int, default=6400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    apps = {"service": (ROOT, SERVICE)}
    if args.checkout is not None:
        apps["before"] = (args.checkout.resolve(), SERVICE)
    if args.fastapi_floor:
        apps["FastAPI floor"] = (ROOT, "bench.fastapi_floor:app")
    apps["baseline"] = (ROOT, BASELINE)
    with scratch_database(args.server_url, "todo_cpu") as url:
        seed(url, SMALL_USERS, SMALL_TASKS_EACH)
        lines = ["| scenario | " + " | ".join(f"{name} µs CPU" for name in apps) + " |"]
        lines.append("|---" * (len(apps) + 1) + "|")
        for scenario in SCENARIOS:
            runs: dict[str, list[float]] = {name: [] for name in apps}
            for number in range(args.rounds):  # alternating, as bench/run.py does
                names = list(apps) if number % 2 == 0 else list(apps)[::-1]
                for name in names:
                    root, app = apps[name]
                    runs[name].append(measure(root, app, scenario, args.requests, url))
            figures = {name: statistics.median(values) for name, values in runs.items()}
            lines.append(
                f"| {scenario} | " + " | ".join(f"{v:.0f}" for v in figures.values()) + " |"
            )
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
