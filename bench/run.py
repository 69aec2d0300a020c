"""A/B benchmark: the full service against the raw baseline (bench/baseline.py), side by side.

    make bench                       # or: .venv/bin/python -m bench.run [options]

Both run on PostgreSQL (a throw-away database on the local server), one uvicorn worker each
(unless --workers), seeded with the same data. wrk drives each scenario against A and B in
alternating order for several rounds, and the medians are compared as ratios — the machine
is shared and noisy, so only ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from adapters.identity.shared_secret import SharedSecretMinter
from bench.load import SCENARIOS, WrkResult, run_wrk, write_script
from bench.seeding import DEFAULT_SERVER_URL, scratch_database, seed_tasks

SECRET = "benchmark-secret-that-is-long-enough-0123456789"
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SMALL_USERS, SMALL_TASKS_EACH = 100, 200
BIG_USERS, BIG_TASKS_EACH = 10_000, 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(database_url: str, root: Path = ROOT) -> dict[str, str]:
    """The environment every benchmarked app runs in: the scratch database, the token
    secret, quiet logs, the code of ``root``."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
        # wrk is exactly the script the per-user limit and quota are for; the benchmark
        # measures the rest (a create scenario adds far more than 10,000 tasks a user).
        "RATE_LIMIT_PER_USER": "0",
        "MAX_TASKS_PER_USER": "0",
    }
    env.pop("BETTER_AUTH_URL", None)
    return env


@contextmanager
def server(
    name: str,
    app: str,
    database_url: str,
    workers: int,
    root: Path = ROOT,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    port = free_port()
    env = {**app_env(database_url, root), **(extra_env or {})}
    command = [
        sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=root, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/tasks", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def server_pids(url: str) -> set[int]:
    """The processes listening on the server's port (each uvicorn worker)."""
    port = url.rsplit(":", 1)[1]
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return set()
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out)}


def memory_mib(url: str, field: str = "VmHWM") -> float | None:
    """The largest ``field`` (VmHWM: peak RSS; VmRSS: current) of the server's workers."""
    values = []
    for pid in server_pids(url):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                values.append(int(line.split()[1]) / 1024)
    return max(values) if values else None


def seed(url: str, users: int, tasks_each: int) -> tuple[list[str], list[tuple[int, str]]]:
    owners = [f"bench-user-{u:05d}" for u in range(users)]
    with psycopg.connect(url) as conn:
        ids = seed_tasks(conn, (owner for owner in owners for _ in range(tasks_each)))
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE tasks")
    minter = SharedSecretMinter(SECRET)
    rng = random.Random(7)
    token_users = owners if users <= 1000 else rng.sample(owners, 1000)
    tokens = [minter.mint(owner, 6 * 3600) for owner in token_users]
    tasks = [(i, str(task_id)) for i, owner in enumerate(token_users) for task_id in ids[owner][:5]]
    return tokens, tasks


def measure(
    targets: dict[str, str], script: Path, args: argparse.Namespace
) -> dict[str, list[WrkResult]]:
    results: dict[str, list[WrkResult]] = {name: [] for name in targets}
    names = list(targets)
    for round_number in range(args.rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(
                run_wrk(targets[name], script, seconds=args.duration, connections=args.connections)
            )
    return results


def summarize(runs: list[WrkResult]) -> dict[str, float]:
    return {
        "rps": statistics.median(r.requests_per_second for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "errors": sum(r.errors for r in runs),
        "requests": sum(r.requests for r in runs),
    }


def baseline(url: str, args: argparse.Namespace) -> contextlib.AbstractContextManager[str]:
    """The raw baseline, or with ``--baseline-checkout`` the service of another checkout (a
    git worktree of an earlier commit: the before of a before/after)."""
    if args.baseline_checkout is None:
        return server("baseline", args.baseline_app, url, args.workers)
    root = Path(args.baseline_checkout).resolve()
    return server("baseline", "entrypoints.http.app:app", url, args.workers, root=root)


def run_scenarios(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    small = [s for s in args.scenarios if s != "list-1m"]
    with tempfile.TemporaryDirectory() as scratch:
        groups = [(small, SMALL_USERS, SMALL_TASKS_EACH)]
        if "list-1m" in args.scenarios:
            groups.append((["list-1m"], BIG_USERS, BIG_TASKS_EACH))
        for scenarios, users, each in groups:
            if not scenarios:
                continue
            with ExitStack() as stack:
                url = stack.enter_context(scratch_database(args.server_url, "todo_bench"))
                started = time.perf_counter()
                tokens, tasks = seed(url, users, each)
                print(f"seeded {users * each:,} tasks in {time.perf_counter() - started:.0f} s")
                targets = {
                    "service": stack.enter_context(
                        server("service", args.service_app, url, args.workers)
                    ),
                    "baseline": stack.enter_context(baseline(url, args)),
                }
                for scenario in scenarios:
                    script = write_script(
                        Path(scratch) / f"{scenario}.lua", scenario, tokens, tasks, seed=1
                    )
                    for url_ in targets.values():  # warm-up: connections, caches, JIT-free
                        run_wrk(url_, script, seconds=2, connections=args.connections)
                    results = measure(targets, script, args)
                    row: dict[str, Any] = {"scenario": scenario}
                    for name, runs in results.items():
                        row[name] = summarize(runs)
                        row[f"{name}_runs"] = [r.as_dict() for r in runs]
                    row["peak_rss_mib"] = {name: memory_mib(u) for name, u in targets.items()}
                    rows.append(row)
                    print_row(row)
    return rows


def soak(args: argparse.Namespace) -> dict[str, Any]:
    """The mixed scenario against one service worker for ``args.soak`` seconds, sampling its
    RSS every 5 s: memory must stay flat under steady load."""
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        url = stack.enter_context(scratch_database(args.server_url, "todo_soak"))
        tokens, tasks = seed(url, SMALL_USERS, SMALL_TASKS_EACH)
        target = stack.enter_context(server("service", "entrypoints.http.app:app", url, 1))
        script = write_script(Path(scratch) / "mixed.lua", "mixed", tokens, tasks, seed=3)
        run_wrk(target, script, seconds=2, connections=args.connections)
        samples: list[float] = []
        process = subprocess.Popen(
            ["wrk", "-t1", f"-c{args.connections}", f"-d{args.soak}s", "-s", str(script), target],
            stdout=subprocess.DEVNULL,
        )
        while process.poll() is None:
            current = memory_mib(target, "VmRSS")
            if current is not None:
                samples.append(round(current, 1))
            time.sleep(5)
        result = {"seconds": args.soak, "rss_mib_samples": samples}
        print(f"soak: RSS (MiB) every 5 s over {args.soak} s: {samples}", flush=True)
        return result


def scaling(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Throughput of 1 and 2 workers of each server (list and create)."""
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as scratch:
        url = stack.enter_context(scratch_database(args.server_url, "todo_scale"))
        tokens, tasks = seed(url, SMALL_USERS, SMALL_TASKS_EACH)
        for scenario in ("list", "create"):
            script = write_script(Path(scratch) / f"{scenario}.lua", scenario, tokens, tasks, 1)
            for app_name, app in (
                ("service", "entrypoints.http.app:app"),
                ("baseline", "bench.baseline:app"),
            ):
                by_workers = {}
                for workers in (1, 2):
                    with server(app_name, app, url, workers) as target:
                        run_wrk(target, script, seconds=2, connections=args.connections)
                        runs = [
                            run_wrk(
                                target,
                                script,
                                seconds=args.duration,
                                connections=args.connections,
                            )
                            for _ in range(args.rounds)
                        ]
                        by_workers[workers] = summarize(runs)
                rps1, rps2 = by_workers[1]["rps"], by_workers[2]["rps"]
                row = {"scenario": scenario, "server": app_name, "1": rps1, "2": rps2}
                rows.append(row)
                print(
                    f"scaling {scenario:<7} {app_name:<8} 1 worker {rps1:7.0f} rps, "
                    f"2 workers {rps2:7.0f} rps: x{rps2 / rps1:.2f}",
                    flush=True,
                )
    return rows


def print_row(row: dict[str, Any]) -> None:
    service, baseline = row["service"], row["baseline"]
    print(
        f"{row['scenario']:<9} service {service['rps']:8.1f} rps "
        f"p50 {service['p50_ms']:6.2f} p99 {service['p99_ms']:7.2f} ms err {service['errors']} | "
        f"baseline {baseline['rps']:8.1f} rps p50 {baseline['p50_ms']:6.2f} "
        f"p99 {baseline['p99_ms']:7.2f} ms err {baseline['errors']} | "
        f"throughput ratio {service['rps'] / baseline['rps']:.2f} "
        f"p99 ratio {service['p99_ms'] / baseline['p99_ms']:.2f}",
        flush=True,
    )


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}),"
        f" {args.workers} worker(s) each, wrk -c{args.connections}, {args.rounds} rounds x "
        f"{args.duration} s, medians.",
        "",
        "| scenario | service rps | baseline rps | ratio | service p50/p99 ms | "
        "baseline p50/p99 ms | p99 ratio | errors (svc/base) | peak RSS MiB (svc/base) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s, b, rss = row["service"], row["baseline"], row["peak_rss_mib"]
        lines.append(
            f"| {row['scenario']} | {s['rps']:.0f} | {b['rps']:.0f} | "
            f"**{s['rps'] / b['rps']:.2f}** | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} | "
            f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {s['p99_ms'] / b['p99_ms']:.2f} | "
            f"{s['errors']} / {b['errors']} | "
            f"{rss.get('service') or 0:.0f} / {rss.get('baseline') or 0:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--scenarios", default="list,create,update,mixed,list-1m")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--baseline-checkout",
        help="compare with the service in this other checkout instead of the raw baseline",
    )
    parser.add_argument(
        "--service-app",
        default="entrypoints.http.app:app",
        help="the app measured as A (bench.fastapi_floor:app: the FastAPI floor)",
    )
    parser.add_argument(
        "--baseline-app", default="bench.baseline:app", help="the app measured as B"
    )
    parser.add_argument("--soak", type=int, default=0, help="seconds of soak (0: none)")
    parser.add_argument(
        "--scaling", action="store_true", help="also measure 1 vs 2 workers of each server"
    )
    args = parser.parse_args()
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {sorted(unknown)}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk; `make bench` does it)")
    rows = run_scenarios(args) if args.scenarios else []
    report: dict[str, Any] = {"ab": rows}
    table = markdown(rows, args) if rows else ""
    if args.scaling:
        report["scaling"] = scaling_rows = scaling(args)
        table += (
            "\n| scenario | server | 1 worker rps | 2 workers rps | x |\n|---|---|---|---|---|\n"
        )
        for row in scaling_rows:
            one, two = row["1"], row["2"]
            table += f"| {row['scenario']} | {row['server']} | {one:.0f} | {two:.0f} | "
            table += f"{two / one:.2f} |\n"
    if args.soak:
        report["soak"] = soaked = soak(args)
        table += f"\nSoak ({args.soak} s, mixed, 1 worker): RSS MiB every 5 s: "
        table += f"{soaked['rss_mib_samples']}\n"
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "latest.md").write_text(table)
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
