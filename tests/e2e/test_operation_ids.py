"""Every operation in /openapi.json has a short, stable, unique camelCase id, which generated
clients name their functions and types after (ADR 0024). The list below is the snapshot:
a rename breaks every client built on the old name, so it is made here, deliberately."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
CAMEL_CASE = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)*")
COMPAT = "/api/{user_id}/tasks"

EXPECTED = {
    ("GET", "/healthz"): "getLiveness",
    ("GET", "/readyz"): "getReadiness",
    ("GET", "/.well-known/oauth-protected-resource"): "getProtectedResourceMetadata",
    ("GET", "/api/tasks/summary"): "getTaskSummary",
    ("GET", "/api/tags"): "listTags",
    ("GET", "/api/tasks"): "listTasks",
    ("POST", "/api/tasks"): "createTask",
    ("DELETE", "/api/tasks"): "clearCompletedTasks",
    ("POST", "/api/tasks/batch"): "batchEditTasks",
    ("GET", "/api/tasks/{task_id}"): "getTask",
    ("PUT", "/api/tasks/{task_id}"): "replaceTask",
    ("PATCH", "/api/tasks/{task_id}"): "patchTask",
    ("DELETE", "/api/tasks/{task_id}"): "deleteTask",
    ("PATCH", "/api/tasks/{task_id}/toggle"): "toggleTask",
    ("GET", COMPAT): "compatListTasks",
    ("POST", COMPAT): "compatCreateTask",
    ("GET", f"{COMPAT}/{{task_id}}"): "compatGetTask",
    ("PUT", f"{COMPAT}/{{task_id}}"): "compatUpdateTask",
    ("PATCH", f"{COMPAT}/{{task_id}}"): "compatPatchTask",
    ("DELETE", f"{COMPAT}/{{task_id}}"): "compatDeleteTask",
    ("PATCH", f"{COMPAT}/{{task_id}}/complete"): "compatToggleTask",
}


@pytest.fixture
async def operations(http_client: httpx.AsyncClient) -> dict[tuple[str, str], dict[str, Any]]:
    response = await http_client.get("/openapi.json")
    assert response.status_code == 200
    return {
        (method.upper(), path): operation
        for path, item in response.json()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


async def test_every_operation_has_a_unique_camel_case_id(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    ids = [operation.get("operationId") for operation in operations.values()]

    assert all(isinstance(each, str) for each in ids), ids
    assert len(set(ids)) == len(ids), sorted(str(each) for each in ids)
    for each in ids:
        assert CAMEL_CASE.fullmatch(str(each)), each


async def test_the_ids_are_the_expected_ones(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    actual = {where: operation["operationId"] for where, operation in operations.items()}

    assert actual == EXPECTED


async def test_the_compatibility_shape_prefixes_its_counterparts_ids(
    operations: dict[tuple[str, str], dict[str, Any]],
) -> None:
    ids = {where: operation["operationId"] for where, operation in operations.items()}
    strict = {where: each for where, each in ids.items() if COMPAT not in where[1]}
    compat = {where: each for where, each in ids.items() if COMPAT in where[1]}

    assert compat
    for (method, path), operation_id in compat.items():
        assert operation_id.startswith("compat"), operation_id
        counterpart = strict.get((method, path.replace(COMPAT, "/api/tasks")))
        # The same operation on /api/tasks: the same name after the prefix. PUT, a partial
        # edit here and a replace there, and …/complete (…/toggle there) are named apart.
        if counterpart is not None and method != "PUT":
            assert operation_id == f"compat{counterpart[0].upper()}{counterpart[1:]}"
