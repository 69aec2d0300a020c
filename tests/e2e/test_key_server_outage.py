"""Better Auth's key server down, through the real app: a token whose key is not cached gets
a 503 problem with ``Retry-After`` on ``/api`` and on ``/mcp`` (a 401 would tell the frontend
its user signed out), cached keys keep working, and the service recovers by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.helpers import assert_problem
from tests.http import make_settings
from tests.integration.identity.jwks_server import JwksServer
from tests.mcp import rest_client, served
from tests.unit.identity.signing import SigningKey, cached_key, claims

KEY = cached_key("EdDSA", "kid-outage")
ROTATED = cached_key("ES256", "kid-outage-rotated")
# Small, so that recovery needs no long wait; the policy is the same at any interval.
REFETCH_INTERVAL = 0.05
TOOLS_LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@pytest.fixture
def key_server() -> Iterator[JwksServer]:
    server = JwksServer(KEY).start()
    yield server
    server.stop()


@pytest.fixture
async def app(key_server: JwksServer) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        "memory://",
        better_auth_url=key_server.base_url,
        jwks_refetch_interval=REFETCH_INTERVAL,
        jwks_fetch_timeout=2.0,
    )
    async with served(settings) as app:
        yield app


def bearer(key_server: JwksServer, signer: SigningKey = KEY) -> dict[str, str]:
    origin = key_server.base_url
    token = signer.token(claims(issuer=origin, audience=origin))
    return {"Authorization": f"Bearer {token}"}


async def calls(http: httpx.AsyncClient, headers: dict[str, str]) -> list[httpx.Response]:
    """The same token on ``/api`` and on ``/mcp``."""
    return [
        await http.get("/api/tasks", headers=headers),
        await http.post("/mcp", json=TOOLS_LIST, headers={**headers, **MCP_HEADERS}),
    ]


def assert_unavailable(response: httpx.Response) -> None:
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/service-unavailable"
    assert "still signed in" in body["detail"]
    assert int(response.headers["retry-after"]) >= 1
    assert "www-authenticate" not in response.headers


async def test_a_key_server_down_from_the_start_is_a_503_on_api_and_mcp_then_recovers(
    app: FastAPI, key_server: JwksServer
) -> None:
    key_server.status = 503
    async with rest_client(app) as http:
        for response in await calls(http, bearer(key_server)):
            assert_unavailable(response)
        key_server.status = 200
        for _ in range(100):  # the next fetch may start REFETCH_INTERVAL after the last
            await asyncio.sleep(REFETCH_INTERVAL)
            responses = await calls(http, bearer(key_server))
            if all(response.status_code == 200 for response in responses):
                break
            for response in responses:
                assert_unavailable(response)
        assert [response.status_code for response in responses] == [200, 200]


async def test_cached_keys_keep_working_and_an_uncached_one_is_a_503_while_it_is_down(
    app: FastAPI, key_server: JwksServer
) -> None:
    async with rest_client(app) as http:
        assert [r.status_code for r in await calls(http, bearer(key_server))] == [200, 200]
        key_server.status = 503
        key_server.publish(ROTATED)  # rotated in, but the key server cannot say so
        await asyncio.sleep(REFETCH_INTERVAL)
        for response in await calls(http, bearer(key_server, ROTATED)):
            assert_unavailable(response)
        known = await calls(http, bearer(key_server))
        assert [response.status_code for response in known] == [200, 200]


async def test_an_unknown_kid_while_the_key_server_is_up_is_still_a_401(
    app: FastAPI, key_server: JwksServer
) -> None:
    stranger = cached_key("EdDSA", "kid-nobody-published")
    async with rest_client(app) as http:
        for response in await calls(http, bearer(key_server, stranger)):
            body = assert_problem(response, 401)
            assert body["detail"] == "the access token's signing key is unknown"
            assert 'error="invalid_token"' in response.headers["www-authenticate"]
