"""Every version the service can reach stays writable, and every ETag it issues is
accepted: a task imported near 2**31 (an INTEGER column's end) is edited past it."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from domain.task import MAX_RESTORED_VERSION
from entrypoints.cli.errors import ExitCode
from tests.databases import SQL_BACKENDS
from tests.e2e.helpers import assert_clean_failure, invoke
from tests.http import app_client, auth, make_settings

NEAR_INT32 = 2**31 - 1


def _export(path: Path, version: int) -> tuple[Path, str]:
    task_id = str(uuid.uuid4())
    record = {
        "id": task_id,
        "title": "old and busy",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "version": version,
    }
    path.write_text(json.dumps({"format": "todo-api.tasks", "version": 2, "tasks": [record]}))
    return path, task_id


@pytest.mark.parametrize("backend", SQL_BACKENDS)
@pytest.mark.parametrize("version", [NEAR_INT32, MAX_RESTORED_VERSION])
def test_a_task_at_a_huge_version_is_edited_with_its_own_etag(
    cli_env: pytest.MonkeyPatch,
    backend: str,
    version: int,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    url = str(request.getfixturevalue(f"{backend}_url"))
    cli_env.setenv("DATABASE_URL", url)
    user = f"user-{uuid.uuid4().hex[:12]}"
    file, task_id = _export(tmp_path / "busy.json", version)
    result = invoke("tasks", "import", "--user", user, str(file))
    assert result.exit_code == 0, result.output
    asyncio.run(_edit_twice_and_delete(url, user, task_id, version))


async def _edit_twice_and_delete(url: str, user: str, task_id: str, version: int) -> None:
    async with app_client(make_settings(url)) as client:
        task = await client.get(f"/api/tasks/{task_id}", headers=auth(user))
        assert task.headers["etag"] == f'"{version}"'
        for expected in (version + 1, version + 2):
            edited = await client.patch(
                f"/api/tasks/{task_id}",
                json={"description": f"edit {expected}"},
                headers={**auth(user), "If-Match": task.headers["etag"]},
            )
            assert edited.status_code == 200, edited.text
            assert edited.headers["etag"] == f'"{expected}"'
            task = edited
        deleted = await client.delete(
            f"/api/tasks/{task_id}", headers={**auth(user), "If-Match": task.headers["etag"]}
        )
        assert deleted.status_code == 204


def test_a_version_beyond_what_json_holds_exactly_is_refused_on_import(
    cli_env: pytest.MonkeyPatch, sqlite_url: str, tmp_path: Path
) -> None:
    cli_env.setenv("DATABASE_URL", sqlite_url)
    file, _ = _export(tmp_path / "too-far.json", MAX_RESTORED_VERSION + 1)
    line = assert_clean_failure(
        invoke("tasks", "import", "--user", "someone", str(file)), ExitCode.INVALID_DATA
    )
    assert f"tasks[0].version: must be at most {MAX_RESTORED_VERSION}" in line
