"""``todo-admin tasks import`` on hostile files: memory stays bounded whatever the nesting,
and text the API would refuse is refused (exit 6), in a real process under a memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import fresh_sqlite_database
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT

TODO_ADMIN = str(Path(sys.executable).with_name("todo-admin"))
# Far above what the command needs (about 150 MB), far below what nested arrays took.
ADDRESS_SPACE = 2 * 1024**3
HEADER = b'{"format": "todo-api.tasks", "version": 2, '
DEPTH = 200_000


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _import(tmp_path: Path, content: bytes) -> subprocess.CompletedProcess[str]:
    file = tmp_path / "hostile.json"
    file.write_bytes(content)
    with fresh_sqlite_database(tmp_path) as url:
        return subprocess.run(
            [TODO_ADMIN, "tasks", "import", "--user", "alice", str(file)],
            env={**os.environ, **NEUTRAL_ENVIRONMENT, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            preexec_fn=_limited,
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * DEPTH, "the document must be a JSON object"),
        (HEADER + b'"tasks": ' + b"[" * DEPTH, "tasks[0]: must be a JSON object"),
        (HEADER + b'"tasks": [{"title": "x", "tags": ' + b"[" * DEPTH, "tasks[0].tags"),
        (HEADER + b'"tasks": [{"title": "x", "due_date": ' + b"{" * DEPTH, "tasks[0].due_date"),
        (HEADER + b'"count": ' + b"[" * DEPTH, "'count' must be a single value"),
    ],
    ids=["document", "tasks", "tags", "field", "header"],
)
def test_deeply_nested_input_is_refused_in_bounded_memory(
    tmp_path: Path, content: bytes, message: str
) -> None:
    result = _import(tmp_path, content)
    assert result.returncode == 6, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert message in line


@pytest.mark.parametrize(
    "title",
    [b'"a\\ud800b"', b'"\\udc00"', b'"\xed\xa0\x80"', b'"\xff"'],
    ids=["lone-high-escape", "lone-low-escape", "encoded-surrogate", "not-utf8"],
)
def test_text_the_api_would_refuse_is_refused(tmp_path: Path, title: bytes) -> None:
    result = _import(tmp_path, HEADER + b'"tasks": [{"title": ' + title + b"}]}")
    assert result.returncode == 6, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("todo-admin: error: ")
    assert "nothing was imported" in line
