"""HTTP tests through the real container and app, on each storage backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from adapters.identity.shared_secret import SharedSecretMinter
from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings

SECRET = "e2e-test-secret-that-is-long-enough-0123456789"


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: never read the developer's .env."""
    values: dict[str, object] = {
        "database_url": database_url,
        "better_auth_secret": SECRET,
        "cors_origins": ["http://localhost:3000"],
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def token_for(user_id: str, ttl_seconds: int = 600) -> str:
    return SharedSecretMinter(SECRET).mint(user_id, ttl_seconds)


def auth(user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user_id)}"}


@dataclass
class Api:
    client: httpx.AsyncClient
    backend: str

    def as_user(self, user_id: str) -> Callable[..., dict[str, str]]:
        return lambda **extra: {**auth(user_id), **extra}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(make_settings(database_url))
    app = create_app(container)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http
