"""Probes, API documentation, CORS, configuration checks and database outages."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from entrypoints.container import ConfigurationError, build_container
from entrypoints.http.factory import create_app
from tests.databases import through
from tests.e2e.helpers import (
    PROBLEM_JSON,
    UNREACHABLE_POSTGRES,
    assert_problem,
    new_user,
)
from tests.http import app_client, auth, make_settings
from tests.reliability.proxy import FaultProxy

# Nothing listens on port 1: connections are refused at once.
FRONTEND = "http://localhost:3000"
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}

# --- probes -------------------------------------------------------------------------------


async def test_healthz_and_readyz_answer_200_without_auth(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    ready = await client.get("/readyz")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


async def test_readyz_is_a_503_problem_quickly_when_the_database_is_unreachable() -> None:
    async with app_client(make_settings(UNREACHABLE_POSTGRES)) as client:
        started = time.monotonic()
        response = await client.get("/readyz")
        elapsed = time.monotonic() - started

    assert_problem(response, 503)
    assert elapsed < 5
    assert "127.0.0.1" not in response.text
    assert "psycopg" not in response.text.lower()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/tasks", None),
        ("POST", "/api/tasks", {"title": "x"}),
        ("GET", "/api/tasks/{id}", None),
        ("PATCH", "/api/tasks/{id}", {"completed": True}),
        ("DELETE", "/api/tasks/{id}", None),
    ],
)
async def test_an_unreachable_database_gives_a_503_problem_quickly_not_a_500(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with app_client(make_settings(UNREACHABLE_POSTGRES)) as client:
        started = time.monotonic()
        response = await client.request(
            method, path.format(id=uuid.uuid4()), json=body, headers=auth(new_user())
        )
        elapsed = time.monotonic() - started
        # Still a problem (not a hang, not a 500) the second time, with the pool in play.
        again = await client.get("/api/tasks", headers=auth(new_user()))

    problem = assert_problem(response, 503)
    assert elapsed < 5
    assert "request_id" in problem
    for leak in ("127.0.0.1", "Connection refused", "psycopg", "OperationalError"):
        assert leak not in response.text
    assert_problem(again, 503)
    # Authentication still comes first: no token, no database round trip needed.
    async with app_client(make_settings(UNREACHABLE_POSTGRES)) as client:
        assert_problem(await client.get("/api/tasks"), 401)
        assert (await client.get("/healthz")).status_code == 200


# --- documentation ------------------------------------------------------------------------


async def test_openapi_declares_a_bearer_scheme_used_by_every_api_operation(
    http_client: httpx.AsyncClient,
) -> None:
    response = await http_client.get("/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s == {**s, "type": "http", "scheme": "bearer"}]
    assert bearer, schemes
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/")
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]
    assert {(path, method) for path, method, _ in operations} >= {
        ("/api/tasks", "get"),
        ("/api/tasks", "post"),
        ("/api/tasks/{task_id}", "get"),
        ("/api/tasks/{task_id}", "put"),
        ("/api/tasks/{task_id}", "patch"),
        ("/api/tasks/{task_id}", "delete"),
    }
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert any(set(requirement) & set(bearer) for requirement in operation["security"]), where
        assert "401" in operation["responses"], where


async def test_openapi_documents_every_error_as_problem_json(
    http_client: httpx.AsyncClient,
) -> None:
    schema = (await http_client.get("/openapi.json")).json()

    assert "Problem" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), where
            if path.startswith("/api/"):
                assert "422" in responses, where
                if "{task_id}" in path:
                    assert "404" in responses, where
                if "requestBody" in operation:
                    assert "413" in responses, where
                if method in ("put", "patch", "delete") and "{task_id}" in path:
                    assert "412" in responses, where  # writes to one task take If-Match
            for code, documented in responses.items():
                if int(code) >= 400:
                    assert set(documented["content"]) == {PROBLEM_JSON}, (where, code)
                    problem = documented["content"][PROBLEM_JSON]["schema"]
                    assert problem == {"$ref": "#/components/schemas/Problem"}, (where, code)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_documentation_pages_are_served(
    http_client: httpx.AsyncClient, path: str
) -> None:
    response = await http_client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text


# --- CORS ---------------------------------------------------------------------------------


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, if-match",
    }


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_a_preflight_from_the_configured_frontend_is_allowed(
    http_client: httpx.AsyncClient, method: str
) -> None:
    response = await http_client.options("/api/tasks", headers=preflight(FRONTEND, method))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert method in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "if-match"):
        assert header in allowed_headers


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost:3001", "https://localhost:3000", "null"]
)
async def test_a_preflight_from_another_origin_is_not_allowed(
    http_client: httpx.AsyncClient, origin: str
) -> None:
    response = await http_client.options("/api/tasks", headers=preflight(origin))

    assert "access-control-allow-origin" not in response.headers
    assert response.status_code >= 400


async def test_responses_to_the_frontend_carry_cors_headers_even_for_errors(
    http_client: httpx.AsyncClient,
) -> None:
    user = new_user()
    created = await http_client.post(
        "/api/tasks", json={"title": "x"}, headers=auth(user) | {"Origin": FRONTEND}
    )
    unauthorized = await http_client.get("/api/tasks", headers={"Origin": FRONTEND})
    evil = await http_client.get(
        "/api/tasks", headers=auth(user) | {"Origin": "http://evil.example"}
    )

    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == FRONTEND
    exposed = created.headers["access-control-expose-headers"].lower()
    for header in ("etag", "location", "link"):
        assert header in exposed
    assert_problem(unauthorized, 401)
    assert unauthorized.headers["access-control-allow-origin"] == FRONTEND
    assert evil.status_code == 200
    assert "access-control-allow-origin" not in evil.headers


async def test_cors_follows_the_cors_origins_setting() -> None:
    settings = make_settings(
        "memory://", cors_origins=["https://app.example", "https://admin.example"]
    )
    async with app_client(settings) as client:
        app = await client.options("/api/tasks", headers=preflight("https://app.example"))
        admin = await client.options("/api/tasks", headers=preflight("https://admin.example"))
        default = await client.options("/api/tasks", headers=preflight(FRONTEND))

    assert app.headers["access-control-allow-origin"] == "https://app.example"
    assert admin.headers["access-control-allow-origin"] == "https://admin.example"
    assert "access-control-allow-origin" not in default.headers


def test_cors_origins_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from entrypoints.settings import Settings

    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")

    settings = Settings(_env_file=None)

    assert settings.cors_origins == ["https://a.example", "https://b.example"]


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [None, "", "   ", "short", "x" * 31, " " * 10 + "y" * 31 + " " * 10],
    ids=["missing", "empty", "blank", "short", "31-chars", "31-chars-padded"],
)
def test_the_app_refuses_to_start_without_a_strong_secret(secret: str | None) -> None:
    settings = make_settings("memory://", better_auth_secret=secret)

    with pytest.raises(ConfigurationError, match="BETTER_AUTH"):
        create_app(build_container(settings))


def test_a_32_character_secret_is_enough() -> None:
    app = create_app(build_container(make_settings("memory://", better_auth_secret="s" * 32)))

    assert app.title


def test_an_unsupported_database_url_is_refused() -> None:
    container = build_container(make_settings("mysql://root@localhost/db"))

    with pytest.raises(ConfigurationError):
        container.database_url()


@pytest.mark.postgres
async def test_a_neon_style_url_with_sslmode_is_accepted_as_is(postgres_url: str) -> None:
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}sslmode=disable"
    if postgres_url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    async with app_client(make_settings(url)) as client:
        user = new_user()
        created = await client.post("/api/tasks", json={"title": "neon"}, headers=auth(user))
        ready = await client.get("/readyz")

    assert created.status_code == 201, created.text
    assert ready.status_code == 200


@pytest.mark.postgres
async def test_the_service_recovers_by_itself_when_the_database_returns(
    postgres_url: str,
) -> None:
    target = make_url(postgres_url)
    async with FaultProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
        settings = make_settings(through(postgres_url, proxy.host, proxy.port))
        async with app_client(settings) as client:
            user = new_user()
            created = await client.post("/api/tasks", json={"title": "kept"}, headers=auth(user))
            assert created.status_code == 201, created.text
            assert (await client.get("/readyz")).status_code == 200

            await proxy.refuse()
            started = time.monotonic()
            during = await client.get("/api/tasks", headers=auth(user))
            write = await client.post("/api/tasks", json={"title": "lost"}, headers=auth(user))
            not_ready = await client.get("/readyz")
            elapsed = time.monotonic() - started

            await proxy.restore()
            after = await client.get("/api/tasks", headers=auth(user))
            ready = await client.get("/readyz")

    assert_problem(during, 503)
    assert_problem(write, 503)
    assert_problem(not_ready, 503)
    assert elapsed < 10
    assert after.status_code == 200, after.text
    assert [task["title"] for task in after.json()] == ["kept"]
    assert ready.status_code == 200


async def test_refused_cors_preflight_is_a_problem(http_client: httpx.AsyncClient) -> None:
    response = await http_client.options(
        "/api/tasks",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/cors-rejected"
    assert "origin" in body["detail"]
    assert "access-control-allow-origin" not in response.headers
