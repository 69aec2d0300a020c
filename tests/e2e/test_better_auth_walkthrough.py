"""docs/better-auth.md's local walk-through, for real: the Better Auth server of
examples/better-auth (email and password, the jwt() plugin, SQLite) and this service, each
started on a free port; a user signs up, gets a JWT from ``/api/auth/token``, and creates
and lists a task with it. Then the guide's ``apiFetch`` (examples/better-auth/api-fetch.ts,
compiled with the example's TypeScript) runs in Node against both servers.

It needs Node.js and ``npm ci`` in examples/better-auth: without them it skips on a
developer machine and fails under ``CI=true`` (``.ci/run`` installs both)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, assert_problem
from tests.e2e.test_cli import free_port, wait_until_healthy

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT_ROOT / "examples" / "better-auth"
GUIDE = PROJECT_ROOT / "docs" / "better-auth.md"
RATE_LIMIT = 60  # requests a minute per user: a burst of 60, then one a second


def _require(condition: bool, message: str) -> None:
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    _require(found is not None, "Node.js is not installed (apt-get install nodejs npm)")
    assert found is not None
    _require(
        (EXAMPLE / "node_modules" / "better-auth").is_dir()
        and (EXAMPLE / "node_modules" / ".bin" / "tsc").exists(),
        "examples/better-auth has no node_modules: run `npm ci` there",
    )
    return found


def _stop(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    if process.stdout:
        process.stdout.close()
    return output


@pytest.fixture(scope="module")
def better_auth(node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """examples/better-auth/server.mjs on a free port: its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BETTER_AUTH_SECRET": "",  # the example makes one and keeps it beside AUTH_DB
        "BETTER_AUTH_URL": url,
        "AUTH_DB": str(tmp_path_factory.mktemp("better-auth") / "auth.db"),
    }
    process = subprocess.Popen(
        [node, "server.mjs"], cwd=EXAMPLE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the Better Auth server exited:\n{_stop(process)}")
            try:
                if httpx.get(f"{url}/api/auth/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the Better Auth server did not start:\n{_stop(process)}")
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def todo_api(better_auth: str) -> Iterator[str]:
    """This service in JWKS mode only, trusting that Better Auth: its base URL."""
    port = free_port()
    env = {
        **os.environ,
        **NEUTRAL_ENVIRONMENT,
        "BETTER_AUTH_SECRET": "",  # no shared-secret mode: only Better Auth's keys count
        "BETTER_AUTH_URL": better_auth,
        "DATABASE_URL": "memory://",
        "CORS_ORIGINS": "http://localhost:5173",
        "RATE_LIMIT_PER_USER": str(RATE_LIMIT),
        "REDIS_URL": "",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command = [sys.executable, "-m", "uvicorn", "entrypoints.http.app:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _sign_up(better_auth: str, email: str) -> tuple[str, str]:
    """A new user's (id, session cookie header)."""
    response = httpx.post(
        f"{better_auth}/api/auth/sign-up/email",
        json={"name": "Alice", "email": email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 200, response.text
    cookie = "; ".join(f"{name}={value}" for name, value in response.cookies.items())
    assert "better-auth.session_token=" in cookie
    return response.json()["user"]["id"], cookie


def _jwt(better_auth: str, cookie: str) -> str:
    response = httpx.get(f"{better_auth}/api/auth/token", headers={"Cookie": cookie})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def _part(token: str, index: int) -> dict[str, object]:
    part = token.split(".")[index]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def test_a_better_auth_user_creates_and_lists_tasks_with_its_jwt(
    better_auth: str, todo_api: str
) -> None:
    user_id, cookie = _sign_up(better_auth, "alice@example.com")
    token = _jwt(better_auth, cookie)
    assert _part(token, 0)["alg"] == "EdDSA"
    claims = _part(token, 1)
    assert claims["sub"] == user_id
    assert claims["iss"] == claims["aud"] == better_auth
    auth = {"Authorization": f"Bearer {token}"}

    created = httpx.post(f"{todo_api}/api/tasks", headers=auth, json={"title": "Buy milk"})
    assert created.status_code == 201, created.text
    assert created.json()["user_id"] == user_id
    listed = httpx.get(f"{todo_api}/api/tasks", headers=auth)
    assert listed.status_code == 200
    assert [task["title"] for task in listed.json()] == ["Buy milk"]

    # The session cookie is not a bearer token, and Better Auth's session token is no JWT.
    assert httpx.get(f"{todo_api}/api/tasks", headers={"Cookie": cookie}).status_code == 401
    session_token = cookie.split("better-auth.session_token=", 1)[1].split(".", 1)[0]
    opaque = httpx.get(
        f"{todo_api}/api/tasks", headers={"Authorization": f"Bearer {session_token}"}
    )
    assert_problem(opaque, 401)


def test_another_user_does_not_see_the_first_users_tasks(better_auth: str, todo_api: str) -> None:
    _, first_cookie = _sign_up(better_auth, "first@example.com")
    _, second_cookie = _sign_up(better_auth, "second@example.com")
    first = {"Authorization": f"Bearer {_jwt(better_auth, first_cookie)}"}
    second = {"Authorization": f"Bearer {_jwt(better_auth, second_cookie)}"}
    task = httpx.post(f"{todo_api}/api/tasks", headers=first, json={"title": "mine"}).json()
    assert httpx.get(f"{todo_api}/api/tasks", headers=second).json() == []
    assert httpx.get(f"{todo_api}/api/tasks/{task['id']}", headers=second).status_code == 404


def test_preflights_from_cors_origins_pass_and_others_are_a_400_problem(todo_api: str) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
    }
    allowed = httpx.options(
        f"{todo_api}/api/tasks", headers={"Origin": "http://localhost:5173", **ask}
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"

    refused = httpx.options(
        f"{todo_api}/api/tasks", headers={"Origin": "http://localhost:3000", **ask}
    )
    body = assert_problem(refused, 400)
    assert body["type"] == "/problems/cors-rejected"
    assert body["title"] == "Cross-origin request not allowed"
    assert "Disallowed CORS origin" in body["detail"]
    assert "Access-Control-Allow-Origin" not in refused.headers


DRIVER = """
import { createApiFetch } from "./api-fetch.js";

const { API, AUTH, COOKIE, RATE_LIMIT } = process.env;
const tokenCalls = [];
async function token(forceRefresh) {
  tokenCalls.push(forceRefresh);
  if (tokenCalls.length === 1) return "expired.or.rotated"; // the first token is refused
  const response = await fetch(`${AUTH}/api/auth/token`, { headers: { cookie: COOKIE } });
  return (await response.json()).token;
}
const apiFetch = createApiFetch(API, token);
const result = {};

const first = await apiFetch("/api/tasks");
result.firstStatus = first.status;
result.tokenCalls = [...tokenCalls];

// Headers as a Headers object: Content-Type and Idempotency-Key must both reach the API.
const create = () =>
  apiFetch("/api/tasks", {
    method: "POST",
    headers: new Headers({ "Content-Type": "application/json", "Idempotency-Key": "walk-1" }),
    body: JSON.stringify({ title: "Buy bread" }),
  });
const created = await create();
const replayed = await create();
result.created = [created.status, (await created.json()).id];
result.replayed = [replayed.status, (await replayed.json()).id];
const pairs = await apiFetch("/api/tasks?limit=1", { headers: [["Accept", "application/json"]] });
result.pairsStatus = pairs.status;

// Past the rate limit: each 429 is waited out (Retry-After), so every call ends in 200.
const statuses = [];
for (let n = 0; n < Number(RATE_LIMIT) + 2; n++) {
  statuses.push((await apiFetch("/api/tags")).status);
}
result.statuses = statuses;

// A create without an Idempotency-Key is not retried: its 429 comes back as it is (had it
// been retried after Retry-After, it would have ended in a 201). The first try may still
// find one request's worth in the bucket; the second meets an empty one.
let bare;
for (let n = 0; n < 2; n++) {
  bare = await apiFetch("/api/tasks", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ title: "not retried" }),
  });
  if (bare.status === 429) break;
}
result.bareStatus = bare.status;
result.bareRetryAfter = bare.headers.get("Retry-After");
console.log(JSON.stringify(result));
"""


def test_the_guide_shows_api_fetch_as_it_is() -> None:
    assert (EXAMPLE / "api-fetch.ts").read_text() in GUIDE.read_text()


def test_the_guides_api_fetch_retries_401_once_keeps_headers_and_waits_out_429(
    node: str, better_auth: str, todo_api: str, tmp_path: Path
) -> None:
    build = subprocess.run(
        [
            str(EXAMPLE / "node_modules" / ".bin" / "tsc"),
            "-p",
            "tsconfig.json",
            "--outDir",
            tmp_path,
        ],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "driver.js").write_text(DRIVER)
    _, cookie = _sign_up(better_auth, "fetcher@example.com")
    run = subprocess.run(
        [node, "driver.js"],
        cwd=tmp_path,
        env={
            **os.environ,
            "API": todo_api,
            "AUTH": better_auth,
            "COOKIE": cookie,
            "RATE_LIMIT": str(RATE_LIMIT),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["firstStatus"] == 200
    assert result["tokenCalls"] == [False, True]  # refused once, then one forced refresh
    assert result["created"][0] == 201
    assert result["replayed"] == [201, result["created"][1]]  # the key arrived: one task
    assert result["pairsStatus"] == 200
    assert result["statuses"] == [200] * (RATE_LIMIT + 2)
    assert result["bareStatus"] == 429
    assert int(result["bareRetryAfter"]) >= 1
