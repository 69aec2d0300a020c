"""The per-user rate limit (RATE_LIMIT_PER_USER) through the real app: on /api and /mcp, per
user, shared through Redis by several app instances, per process when Redis is away."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from adapters.rate_limit import InMemoryRateLimiter
from entrypoints.container import ConfigurationError, build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings
from tests.e2e.helpers import assert_problem, new_user
from tests.http import SECRET, app_client, auth, make_settings, token_for
from tests.redis_server import UNREACHABLE_REDIS_URL, require_redis

LIMIT = 3


async def spend(client: httpx.AsyncClient, user: str, requests: int) -> list[int]:
    return [
        (await client.get("/api/tasks", headers=auth(user))).status_code for _ in range(requests)
    ]


def assert_rate_limited(response: httpx.Response) -> None:
    body = assert_problem(response, 429)
    assert body["type"] == "/problems/too-many-requests"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["ratelimit-policy"] == f'"per-user";q={LIMIT};w=60'
    assert response.headers["ratelimit"].startswith('"per-user";r=0;t=')


async def test_over_the_limit_is_429_with_retry_after_and_others_are_unaffected() -> None:
    alice, bob = new_user(), new_user()
    async with app_client(make_settings("memory://", rate_limit_per_user=LIMIT)) as client:
        assert await spend(client, alice, LIMIT) == [200] * LIMIT
        refused = await client.get("/api/tasks", headers=auth(alice))
        assert_rate_limited(refused)
        # Writes count too, and are refused before they run.
        create = await client.post("/api/tasks", json={"title": "x"}, headers=auth(alice))
        assert_rate_limited(create)
        assert await spend(client, bob, LIMIT) == [200] * LIMIT


async def test_admitted_answers_say_what_remains() -> None:
    user = new_user()
    async with app_client(make_settings("memory://", rate_limit_per_user=LIMIT)) as client:
        first = await client.get("/api/tasks", headers=auth(user))
        second = await client.post(f"/api/{user}/tasks", json={"title": "x"}, headers=auth(user))
    assert first.headers["ratelimit"].startswith(f'"per-user";r={LIMIT - 1};')
    assert second.headers["ratelimit"].startswith(f'"per-user";r={LIMIT - 2};')
    assert first.headers["ratelimit-policy"] == f'"per-user";q={LIMIT};w=60'


async def test_unauthenticated_requests_and_health_checks_are_not_counted() -> None:
    user = new_user()
    async with app_client(make_settings("memory://", rate_limit_per_user=LIMIT)) as client:
        for _ in range(LIMIT + 2):
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/api/tasks")).status_code == 401
        assert await spend(client, user, LIMIT) == [200] * LIMIT


async def test_zero_turns_the_limit_off() -> None:
    user = new_user()
    async with app_client(make_settings("memory://", rate_limit_per_user=0)) as client:
        statuses = await spend(client, user, 50)
        last = await client.get("/api/tasks", headers=auth(user))
    assert statuses == [200] * 50
    assert "ratelimit" not in last.headers


def test_the_limit_is_on_by_default() -> None:
    settings = Settings(_env_file=None, database_url="memory://", better_auth_secret=SECRET)  # type: ignore[call-arg]
    limiter = build_container(settings).rate_limiter()
    assert isinstance(limiter, InMemoryRateLimiter)
    assert (limiter.limit, limiter.window) == (600, 60.0)


def mcp_request(user: str, method: str = "tools/list") -> dict[str, Any]:
    return {
        "headers": {
            **auth(user),
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Mcp-Protocol-Version": "2025-06-18",
        },
        "json": {"jsonrpc": "2.0", "id": 1, "method": method, "params": {}},
    }


async def test_mcp_shares_the_users_limit_with_the_api() -> None:
    alice, bob = new_user(), new_user()
    settings = make_settings("memory://", rate_limit_per_user=LIMIT)
    async with app_client(settings) as client:
        assert (await client.post("/mcp", **mcp_request(alice))).status_code == 200
        assert await spend(client, alice, LIMIT - 1) == [200] * (LIMIT - 1)
        refused = await client.post("/mcp", **mcp_request(alice))
        assert_rate_limited(refused)
        assert_rate_limited(await client.get("/api/tasks", headers=auth(alice)))
        assert (await client.post("/mcp", **mcp_request(bob))).status_code == 200


@pytest.mark.redis
async def test_with_redis_every_app_instance_counts_against_one_limit() -> None:
    settings = make_settings("memory://", rate_limit_per_user=LIMIT, redis_url=require_redis())
    user, other = new_user(), new_user()
    async with app_client(settings) as first, app_client(settings) as second:
        assert await spend(first, user, 2) == [200, 200]
        assert await spend(second, user, 1) == [200]
        assert_rate_limited(await second.get("/api/tasks", headers=auth(user)))
        assert_rate_limited(await first.get("/api/tasks", headers=auth(user)))
        assert_rate_limited(await second.post("/mcp", **mcp_request(user)))
        assert await spend(second, other, 1) == [200]


async def test_without_redis_each_app_instance_counts_on_its_own() -> None:
    settings = make_settings("memory://", rate_limit_per_user=LIMIT)
    user = new_user()
    async with app_client(settings) as first, app_client(settings) as second:
        assert await spend(first, user, LIMIT) == [200] * LIMIT
        assert await spend(second, user, LIMIT) == [200] * LIMIT


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_redis_unreachable_falls_back_to_the_per_process_limit_with_one_log_line() -> None:
    """ADR 0019: requests are served (never a 5xx for a missing Redis), the limit still
    holds per process, and the outage is one warning line, not one per request."""
    settings = make_settings(
        "memory://", rate_limit_per_user=LIMIT, redis_url=UNREACHABLE_REDIS_URL
    )
    user = new_user()
    lines = Lines()
    logger = logging.getLogger("todo_api.rate_limit")
    logger.addHandler(lines)
    try:
        async with app_client(settings) as client:
            assert await spend(client, user, LIMIT) == [200] * LIMIT
            assert_rate_limited(await client.get("/api/tasks", headers=auth(user)))
    finally:
        logger.removeHandler(lines)
    warnings = [r for r in lines.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "Redis is unreachable" in warnings[0].getMessage()


async def test_an_unusable_redis_url_is_refused_at_start_up() -> None:
    settings = make_settings("memory://", rate_limit_per_user=10, redis_url="http://not-redis")
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        create_app(build_container(settings))


async def test_limits_are_per_user_not_per_token() -> None:
    """Two tokens of one user (two devices) share the user's allowance."""
    user = new_user()
    async with app_client(make_settings("memory://", rate_limit_per_user=LIMIT)) as client:
        for ttl in range(LIMIT):
            headers = {"Authorization": f"Bearer {token_for(user, 600 + ttl)}"}
            assert (await client.get("/api/tasks", headers=headers)).status_code == 200
        assert_rate_limited(await client.get("/api/tasks", headers=auth(user)))
