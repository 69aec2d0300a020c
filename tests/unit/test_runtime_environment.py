"""What ``make run`` and ``make serve`` install (ADR 0027): the Makefile's own runtime sync
command, asked for a dry run into an empty environment, installs the server and the CLI
and none of the dev or benchmark tools."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DEV_AND_BENCH_TOOLS = {"pytest", "mypy", "ruff", "schemathesis", "hypothesis", "py-spy"}
RUNTIME = {"fastapi", "uvicorn", "sqlalchemy", "alembic", "typer", "psycopg"}


def _uv() -> str:
    """uv as the Makefile finds it: `make test` runs pytest under `uv run`, which names it."""
    found = os.environ.get("UV") or shutil.which("uv")
    bootstrapped = PROJECT / ".tools" / "bin" / "uv"
    if found is None and bootstrapped.exists():
        found = str(bootstrapped)
    if found is None:
        pytest.skip("uv is not installed (make bootstraps it into .tools/)")
    return found


def _runtime_sync_command(uv: str) -> list[str]:
    printed = subprocess.run(
        ["make", "-s", "-n", "install-runtime", f"UV={uv}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    syncs = [line for line in printed.splitlines() if " sync " in f" {line} "]
    assert len(syncs) == 1, printed
    return shlex.split(syncs[0])


def test_the_runtime_install_has_no_dev_or_benchmark_tools(tmp_path: Path) -> None:
    command = _runtime_sync_command(_uv())
    result = subprocess.run(
        [*command, "--dry-run", "--offline"],
        cwd=PROJECT,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "runtime-env")},
        capture_output=True,
        text=True,
        check=True,
    )
    installed = set(re.findall(r"^ \+ ([A-Za-z0-9_.-]+)==", result.stderr + result.stdout, re.M))

    assert installed >= RUNTIME, result.stderr
    assert installed & DEV_AND_BENCH_TOOLS == set()
