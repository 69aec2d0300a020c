"""The real app behind an in-process HTTP client, for the e2e and reliability tests: the
settings and tokens tests give it, and the fixtures that serve it (registered for the whole
suite by tests/conftest.py).

Two fixtures, and the choice between them says what a test is about:

* ``client``: the app on each storage backend (memory://, SQLite, PostgreSQL), for every
  case whose outcome involves storage: what is written and read back, list order, search,
  pagination, conditional writes, idempotency, isolation between users, deletes,
  concurrency, text a database might mangle. A module may narrow the backends by
  overriding ``database_url``.
* ``http_client``: the app on memory:// only, for cases that only exercise the HTTP layer
  (request parsing, headers, authentication, schema validation, body limits, routing,
  CORS, documentation): they are decided before any store is reached, so another backend
  could not change their outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from adapters.identity.shared_secret import SharedSecretMinter
from entrypoints.container import Container, build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings
from tests.databases import BACKENDS

SECRET = "e2e-test-secret-that-is-long-enough-0123456789"


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: never read the developer's .env. The per-user rate limit is off
    unless a test sets one (a test's client makes requests as fast as a script does; the
    limit has tests of its own, tests/e2e/test_rate_limit.py)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "better_auth_secret": SECRET,
        "cors_origins": ["http://localhost:3000"],
        "rate_limit_per_user": 0,
        "redis_url": None,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def token_for(user_id: str, ttl_seconds: int = 600) -> str:
    return SharedSecretMinter(SECRET).mint(user_id, ttl_seconds)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user_id)}"}


@asynccontextmanager
async def app_client(app_of: Settings | Container) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a fresh app (lifespan run), built on the real container from
    these settings, or around a container the test has prepared (with overrides)."""
    container = build_container(app_of) if isinstance(app_of, Settings) else app_of
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app on each storage backend: for cases whose outcome involves storage."""
    async with app_client(make_settings(database_url)) as http:
        yield http


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app on memory:// only: for cases decided by the HTTP layer alone."""
    async with app_client(make_settings("memory://")) as http:
        yield http
