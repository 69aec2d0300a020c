"""``todo-admin --help`` and usage errors load none of the heavy modules (ADR 0027): each
command imports the container, SQLAlchemy, Alembic, FastAPI or the MCP SDK itself, when it
runs. What a fresh interpreter has imported is checked, not how long it took."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# The packages that made `todo-admin --help` take most of a second.
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "fastapi",
    "starlette",
    "mcp",
    "httpx",
    "dependency_injector",
    "pydantic_settings",
    "psycopg",
    "redis",
    "jose",
    "rich",
    "entrypoints.container",
    "entrypoints.settings",
    "entrypoints.http",
    "entrypoints.mcp",
    "adapters",
)

# Runs the CLI in-process as the console script would, then reports what got imported.
PROBE = """
import json, sys
from entrypoints.cli.main import app
try:
    app(sys.argv[1:], prog_name="todo-admin")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported_by(*args: str) -> tuple[object, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(
        name for name in modules if any(name == h or name.startswith(f"{h}.") for h in HEAVY)
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["token", "mint", "--help"],
        ["tasks", "list", "--help"],
        ["tasks", "import", "--help"],
        ["users", "purge", "--help"],
        ["stats", "--help"],
        ["mcp", "--help"],
        ["tasks", "seed", "--user", "u", "--count", "many"],  # a usage error
    ],
    ids=" ".join,
)
def test_help_and_usage_errors_import_nothing_heavy(args: list[str]) -> None:
    code, modules = _imported_by(*args)

    assert code in (0, 2)
    assert "entrypoints.cli.main" in modules  # the probe did load the CLI
    assert _heavy(modules) == []


def test_a_command_that_runs_does_import_what_it_needs(tmp_path: Path) -> None:
    """The probe can see heavy imports: a real command (on the in-memory store) has them."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "stats", "--json"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PROJECT),
            "DATABASE_URL": "memory://",
            "BETTER_AUTH_SECRET": "s" * 40,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["code"] == 0
    assert {"entrypoints.container", "dependency_injector"} <= set(_heavy(set(report["modules"])))
