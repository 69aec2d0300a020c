"""Wall time and peak memory of ``todo-admin tasks export`` and ``tasks import``.

    .venv/bin/python -m bench.cli_export_import [--server-url URL] [--sizes 10000 100000]
                                                [--output bench/cli-export-import-results.md]

For each size N: creates a throw-away PostgreSQL database (default: the local test server),
migrates it, seeds N tasks for one user (``todo-admin tasks seed``), then runs as separate
processes, each measured on its own:

    todo-admin tasks export --user bench --output FILE
    todo-admin users purge  --user bench --yes
    todo-admin tasks import --user bench FILE

and checks that a second export has the same tasks as the first. Wall time and peak RSS
come from ``/usr/bin/time`` when present, else from ``os.wait4`` (the child's own rusage).
A baseline process (``todo-admin stats``: imports everything, runs two small queries) shows
what the interpreter and libraries cost before any task is handled. Flat memory shows as a
100k/10k peak-RSS ratio near 1 while the task count grows tenfold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.seeding import scratch_database

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
USER = "bench"
TODO_ADMIN = str(Path(sys.executable).with_name("todo-admin"))
TIME = shutil.which("time", path="/usr/bin")


@dataclass(frozen=True)
class Run:
    command: str
    tasks: int
    seconds: float
    peak_rss_kib: int

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_kib / 1024


def measure(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run ``todo-admin ARGS``; return its wall time (s) and peak RSS (KiB)."""
    command = [TODO_ADMIN, *args]
    if TIME is not None:
        marker = "__bench__"
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", f"{marker} %e %M", *command],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
        line = next(x for x in reversed(done.stderr.splitlines()) if x.startswith(marker))
        _, _seconds, rss = line.split()
        return elapsed, int(rss)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return elapsed, int(usage.ru_maxrss)  # KiB on Linux


def tasks_part(path: Path) -> bytes:
    """The export without its header line (which carries ``exported_at``)."""
    data = path.read_bytes()
    return data[data.index(b"\n") :]


def bench_size(server_url: str, size: int, workdir: Path) -> list[Run]:
    runs: list[Run] = []
    with scratch_database(server_url, "todo_bench") as url:
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}

        def step(name: str, *args: str) -> None:
            seconds, rss = measure(list(args), env)
            runs.append(Run(name, size, seconds, rss))
            print(
                f"  {name:<8} {size:>7,} tasks  {seconds:6.2f} s  {rss / 1024:6.1f} MiB",
                file=sys.stderr,
            )

        step("baseline", "stats")
        step("seed", "tasks", "seed", "--user", USER, "--count", str(size), "--seed", "1")
        export = workdir / f"export-{size}.json"
        step("export", "tasks", "export", "--user", USER, "--output", str(export))
        step("purge", "users", "purge", "--user", USER, "--yes")
        step("import", "tasks", "import", "--user", USER, str(export))
        again = workdir / f"again-{size}.json"
        subprocess.run(
            [TODO_ADMIN, "tasks", "export", "--user", USER, "--output", str(again)],
            env=env,
            check=True,
            capture_output=True,
        )
        if tasks_part(again) != tasks_part(export):
            raise SystemExit(f"round trip at {size} tasks changed the tasks")
        print(
            f"  round trip ok; export file {export.stat().st_size / 2**20:.1f} MiB", file=sys.stderr
        )
    return runs


def report(runs: list[Run], sizes: list[int]) -> str:
    lines = [
        "| command | tasks | wall time (s) | peak RSS (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.command} | {run.tasks:,} | {run.seconds:.2f} | {run.peak_rss_mib:.1f} |"
        )
    small, large = min(sizes), max(sizes)
    if small != large:
        lines.append("")
        lines.append(f"Ratios {large:,} / {small:,} tasks ({large // small}x the tasks):")
        lines.append("")
        by_key = {(r.command, r.tasks): r for r in runs}
        for command in ("export", "import", "seed", "purge"):
            a, b = by_key[(command, small)], by_key[(command, large)]
            lines.append(
                f"- {command}: peak RSS x {b.peak_rss_kib / a.peak_rss_kib:.2f}, "
                f"time x {b.seconds / a.seconds:.1f}"
            )
    lines.append("")
    lines.append(
        f"Measured with {'/usr/bin/time' if TIME else 'os.wait4 (rusage)'}, one process per"
        " command, PostgreSQL on the same machine."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server-url", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_SERVER_URL)
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--output", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="todo-bench-") as workdir:
        for size in args.sizes:
            print(f"{size:,} tasks:", file=sys.stderr)
            runs += bench_size(args.server_url, size, Path(workdir))
    table = report(runs, args.sizes)
    print(table)
    if args.output is not None:
        title = "# `todo-admin tasks export` / `tasks import`: wall time and peak RSS"
        command = "bench/cli_export_import.py --sizes " + " ".join(map(str, args.sizes))
        args.output.write_text(f"{title}\n\n`{command}`\n\n{table}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
