"""Key caching, rate-limited re-fetching and failure handling, against an in-process endpoint
and a clock the test moves (no sleeping)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet
from application.errors import IdentityProviderUnavailable, InvalidToken
from tests.unit.identity.fakes import JWKS_URL, FakeClock, FakeJwksEndpoint
from tests.unit.identity.signing import ALGORITHMS, cached_key, claims
from tests.unit.identity.wiring import jwks_mode

REFETCH_INTERVAL = 30.0
CACHE_TTL = 600.0
KNOWN = cached_key("EdDSA", "known")
ROTATED = cached_key("ES256", "rotated")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoint() -> FakeJwksEndpoint:
    return FakeJwksEndpoint(KNOWN)


@pytest.fixture
async def key_set(endpoint: FakeJwksEndpoint, clock: FakeClock) -> AsyncIterator[JwksKeySet]:
    async with endpoint.client() as client:
        key_set = JwksKeySet(
            JWKS_URL,
            refetch_interval=REFETCH_INTERVAL,
            cache_ttl=CACHE_TTL,
            http_client=client,
            clock=clock,
        )
        yield key_set
        await key_set.aclose()


@pytest.fixture
def verifier(key_set: JwksKeySet) -> CompositeTokenVerifier:
    return jwks_mode(key_set)


def bogus_kid_token(number: int = 0) -> str:
    return KNOWN.token(claims(), kid=f"bogus-{number}")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_tokens_of_every_algorithm_are_accepted(
    algorithm: str, endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier
) -> None:
    key = cached_key(algorithm, f"key-{algorithm}")
    endpoint.publish(key)
    identity = await verifier.verify(key.token(claims(sub="user-42")))
    assert identity.user_id == "user-42"


async def test_forty_verifications_cost_one_fetch(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier
) -> None:
    for number in range(40):
        await verifier.verify(KNOWN.token(claims(sub=f"user-{number}")))
    assert endpoint.requests == 1


async def test_concurrent_first_requests_share_one_fetch(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier
) -> None:
    await asyncio.gather(*(verifier.verify(KNOWN.token(claims())) for _ in range(20)))
    assert endpoint.requests == 1


async def test_an_unknown_kid_refetches_once_then_is_rejected(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    clock.advance(REFETCH_INTERVAL)
    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await verifier.verify(bogus_kid_token())
    assert endpoint.requests == 2


async def test_unknown_kids_within_the_window_cause_no_fetch(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    for number in range(100):
        clock.advance(REFETCH_INTERVAL / 200)
        with pytest.raises(InvalidToken):
            await verifier.verify(bogus_kid_token(number))
    assert endpoint.requests == 1


async def test_a_concurrent_flood_of_bogus_kids_causes_one_fetch(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    clock.advance(REFETCH_INTERVAL)
    results = await asyncio.gather(
        *(verifier.verify(bogus_kid_token(number)) for number in range(100)),
        return_exceptions=True,
    )
    assert all(isinstance(result, InvalidToken) for result in results)
    assert endpoint.requests == 2


async def test_a_rotated_in_key_is_accepted_without_restart(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.publish(ROTATED)
    clock.advance(REFETCH_INTERVAL)
    assert (await verifier.verify(ROTATED.token(claims(sub="rotated")))).user_id == "rotated"
    assert (await verifier.verify(KNOWN.token(claims()))).user_id == "user-1"
    assert endpoint.requests == 2


async def test_a_key_rotated_in_right_after_a_fetch_waits_for_the_window(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.publish(ROTATED)
    with pytest.raises(InvalidToken):
        await verifier.verify(ROTATED.token(claims()))
    clock.advance(REFETCH_INTERVAL)
    await verifier.verify(ROTATED.token(claims()))


async def test_the_set_is_refreshed_after_its_ttl_and_removed_keys_stop_working(
    endpoint: FakeJwksEndpoint,
    verifier: CompositeTokenVerifier,
    key_set: JwksKeySet,
    clock: FakeClock,
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.jwks = [ROTATED.public_jwk()]
    clock.advance(CACHE_TTL - 1)
    await verifier.verify(KNOWN.token(claims()))
    assert endpoint.requests == 1
    clock.advance(1)
    # Stale: the cached key still answers this request, and the refresh runs meanwhile.
    await verifier.verify(KNOWN.token(claims()))
    await key_set.wait_for_fetch()
    assert endpoint.requests == 2
    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await verifier.verify(KNOWN.token(claims()))
    await verifier.verify(ROTATED.token(claims()))
    assert endpoint.requests == 2


async def test_a_failed_refresh_keeps_the_cached_keys(
    endpoint: FakeJwksEndpoint,
    verifier: CompositeTokenVerifier,
    key_set: JwksKeySet,
    clock: FakeClock,
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.status = 500
    clock.advance(CACHE_TTL)
    await verifier.verify(KNOWN.token(claims()))
    await key_set.wait_for_fetch()
    await verifier.verify(KNOWN.token(claims()))
    await key_set.wait_for_fetch()
    assert endpoint.requests == 2  # failed once, then waits for the window before retrying
    clock.advance(REFETCH_INTERVAL)
    await verifier.verify(KNOWN.token(claims()))
    await key_set.wait_for_fetch()
    assert endpoint.requests == 3


async def test_without_any_keys_a_failing_endpoint_is_asked_once_per_window(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    endpoint.status = 503
    for _ in range(10):
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(KNOWN.token(claims()))
    assert endpoint.requests == 1
    endpoint.status = 200
    clock.advance(REFETCH_INTERVAL)
    await verifier.verify(KNOWN.token(claims()))
    assert endpoint.requests == 2


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (200, b"x" * (64 * 1024 + 1), {}),
        (200, json.dumps({"keys": [KNOWN.public_jwk()], "pad": "x" * 70_000}).encode(), {}),
        (200, b"<html>login</html>", {}),
        (302, b"", {"Location": "https://attacker.example/jwks"}),
        (404, b"", {}),
    ],
)
async def test_unusable_responses_leave_the_verifier_without_keys(
    endpoint: FakeJwksEndpoint,
    verifier: CompositeTokenVerifier,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    endpoint.status, endpoint.body, endpoint.headers = status, body, headers
    with pytest.raises(IdentityProviderUnavailable):
        await verifier.verify(KNOWN.token(claims()))
    assert endpoint.requests == 1  # a redirect is not followed


async def test_a_hanging_endpoint_times_out_quickly(clock: FakeClock) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as client:
        verifier = jwks_mode(
            JwksKeySet(JWKS_URL, fetch_timeout=0.05, http_client=client, clock=clock)
        )
        started = time.monotonic()
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(KNOWN.token(claims()))
        assert time.monotonic() - started < 2


async def test_a_network_error_is_mapped_to_unavailable(clock: FakeClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        verifier = jwks_mode(JwksKeySet(JWKS_URL, http_client=client, clock=clock))
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(KNOWN.token(claims()))


async def test_aclose_closes_only_a_client_it_created() -> None:
    owned = JwksKeySet(JWKS_URL)
    await owned.aclose()
    assert owned._http.is_closed

    async with httpx.AsyncClient() as borrowed_client:
        borrowed = JwksKeySet(JWKS_URL, http_client=borrowed_client)
        await borrowed.aclose()
        assert not borrowed_client.is_closed
