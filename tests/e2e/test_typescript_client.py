"""A TypeScript client generated from the live /openapi.json works as a frontend uses it:
openapi-typescript at its default options (the usual companion of openapi-fetch in a
Next.js app) writes ``schema.d.ts``, ``clients/typescript/smoke.ts`` compiles against it
under ``tsc --strict`` (a task created with only a title among other things) and then runs
against a real server. Needs Node.js and ``npm ci`` in clients/typescript (``.ci/run`` does
it); without them the test skips, and under ``CI=true`` fails.

The document's own tests beside it say, without Node.js, what a generator reads: request
bodies require only what must be sent, responses require every field they always carry.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, free_port
from tests.http import token_for

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
UVICORN = str(Path(sys.executable).with_name("uvicorn"))
# Each step is a local compile or a few requests; a bound, so a hang fails the test.
STEP_TIMEOUT = 300


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def npx() -> str:
    node, found = shutil.which("node"), shutil.which("npx")
    _require(
        node is not None and found is not None,
        "Node.js and npm are not installed (Debian: apt-get install -y nodejs npm)",
    )
    _require(
        (CLIENT / "node_modules" / ".bin" / "openapi-typescript").exists(),
        "clients/typescript has no node_modules: run `npm ci` there",
    )
    assert found is not None
    return found


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``uvicorn entrypoints.http.app:app`` on a free port (memory://, the tests' secret),
    run outside the project so that no developer's .env is read; its base URL."""
    port = free_port()
    workdir = tmp_path / "server"
    workdir.mkdir()
    environment = {**os.environ, **NEUTRAL_ENVIRONMENT, "DATABASE_URL": "memory://"}
    command = [UVICORN, "entrypoints.http.app:app", "--app-dir", str(ROOT), "--port", str(port)]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def _run(command: list[str], cwd: Path, **environment: str) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


def test_a_client_generated_at_default_options_compiles_strictly_and_works(
    npx: str, server: str, tmp_path: Path
) -> None:
    project = tmp_path / "client"
    project.mkdir()
    for name in ("package.json", "tsconfig.json", "smoke.ts"):
        shutil.copy(CLIENT / name, project / name)
    (project / "node_modules").symlink_to(CLIENT / "node_modules", target_is_directory=True)
    (project / "openapi.json").write_text(httpx.get(f"{server}/openapi.json").text)

    # `--no`: the pinned tools from node_modules, never a download.
    _run([npx, "--no", "--", "openapi-typescript", "openapi.json", "-o", "schema.d.ts"], project)
    # One compile: the strict type check, and (noEmitOnError) JavaScript only if it passed.
    _run([npx, "--no", "--", "tsc", "--strict", "--noEmitOnError", "-p", "tsconfig.json"], project)
    user = "typescript-client-user"
    output = _run(
        ["node", "build/smoke.js"],
        project,
        TODO_API_URL=server,
        TODO_API_TOKEN=token_for(user),
        TODO_API_USER=user,
    )

    assert "smoke: ok" in output, output


# --- what a generator reads ------------------------------------------------------------------


def _reachable(document: dict[str, Any], roots: list[Any]) -> dict[str, dict[str, Any]]:
    """The component schemas these schemas refer to, directly or through others."""
    components = document["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/components/schemas/"):
                name = reference.rsplit("/", 1)[1]
                if name not in found:
                    found[name] = components[name]
                    pending.append(components[name])
            pending.extend(node.values())
    return found


def _schemas_of(document: dict[str, Any], part: str, codes: str = "") -> list[Any]:
    """The schemas of every request body (``part="requestBody"``) or of every response
    whose status starts with ``codes`` (``part="responses"``)."""
    schemas = []
    for path_item in document["paths"].values():
        for operation in path_item.values():
            if part == "requestBody":
                contents = [operation.get("requestBody", {}).get("content", {})]
            else:
                contents = [
                    response.get("content", {})
                    for code, response in operation["responses"].items()
                    if code.startswith(codes)
                ]
            schemas += [media["schema"] for content in contents for media in content.values()]
    return schemas


@pytest.fixture
async def document(http_client: httpx.AsyncClient) -> dict[str, Any]:
    response = await http_client.get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _object_schemas(schemas: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: schema for name, schema in schemas.items() if "properties" in schema}


async def test_request_bodies_require_only_what_must_be_sent(document: dict[str, Any]) -> None:
    requests = _object_schemas(_reachable(document, _schemas_of(document, "requestBody")))

    assert {"TaskCreate", "CompatTaskCreate", "TaskPatch", "TaskReplace"} <= set(requests)
    assert requests["TaskCreate"]["required"] == ["title"]
    assert requests["CompatTaskCreate"]["required"] == ["title"]
    assert "required" not in requests["TaskPatch"]
    assert requests["TaskReplace"]["required"] == ["title"]
    for name, schema in requests.items():
        for field, property_schema in schema["properties"].items():
            # A `default` reads as "always present" to openapi-typescript (ADR 0024).
            assert "default" not in property_schema, (name, field)
    created = requests["TaskCreate"]["properties"]
    assert created["completed"]["description"].endswith("Default: `false`.")
    assert created["priority"]["description"].endswith('Default: `"none"`.')
    assert created["tags"]["description"].endswith("Default: `[]`.")


# Fields a successful response may leave out, each for a reason of its own.
ABSENT_WHEN_UNSET = {("ProtectedResource", "authorization_servers")}  # no BETTER_AUTH_URL


async def test_responses_require_every_field_they_always_carry(document: dict[str, Any]) -> None:
    responses = _object_schemas(_reachable(document, _schemas_of(document, "responses", "2")))

    assert {"TaskOut", "BatchOut", "TaskSummaryOut", "TagOut", "Cleared"} <= set(responses)
    for name, schema in responses.items():
        optional = set(schema["properties"]) - set(schema.get("required", []))
        assert {(name, field) for field in optional} <= ABSENT_WHEN_UNSET, name
        for field, property_schema in schema["properties"].items():
            assert "default" not in property_schema, (name, field)


async def test_a_problem_requires_what_every_problem_carries(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]

    # `detail` is always sent (null when there is nothing to add); the others only when set.
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert set(problem["properties"]) - set(problem["required"]) == {
        "instance",
        "request_id",
        "errors",
    }
