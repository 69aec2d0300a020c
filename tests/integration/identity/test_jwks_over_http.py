"""The JWKS verifier against a real HTTP server on loopback: every algorithm, caching, key
rotation, rate-limited re-fetching, and an auth server that is down or hangs."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet
from application.errors import IdentityProviderUnavailable, InvalidToken
from tests.integration.identity.conftest import REFETCH_INTERVAL
from tests.integration.identity.jwks_server import JwksServer, unused_loopback_url
from tests.unit.identity.fakes import FakeClock
from tests.unit.identity.signing import (
    ALGORITHMS,
    cached_key,
    claims,
    new_key,
)
from tests.unit.identity.wiring import jwks_mode


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_tokens_of_every_algorithm_are_accepted(
    algorithm: str, verifier: CompositeTokenVerifier, jwks_server: JwksServer
) -> None:
    token = cached_key(algorithm, f"kid-{algorithm}").token(claims(sub=f"{algorithm}-user"))
    assert (await verifier.verify(token)).user_id == f"{algorithm}-user"
    assert jwks_server.paths == ["/api/auth/jwks"]


async def test_forty_verifications_cost_at_most_one_fetch(
    verifier: CompositeTokenVerifier, jwks_server: JwksServer
) -> None:
    for number in range(40):
        algorithm = ALGORITHMS[number % len(ALGORITHMS)]
        await verifier.verify(cached_key(algorithm, f"kid-{algorithm}").token(claims()))
    assert jwks_server.requests == 1


async def test_a_key_rotated_in_while_running_is_accepted(
    verifier: CompositeTokenVerifier, jwks_server: JwksServer, clock: FakeClock
) -> None:
    await verifier.verify(cached_key("EdDSA", "kid-EdDSA").token(claims()))
    rotated = new_key("EdDSA", "kid-rotated")
    jwks_server.publish(rotated)
    clock.advance(REFETCH_INTERVAL)
    assert (await verifier.verify(rotated.token(claims(sub="after")))).user_id == "after"
    assert jwks_server.requests == 2


async def test_an_unknown_kid_refetches_once_and_a_flood_adds_at_most_one_fetch(
    verifier: CompositeTokenVerifier, jwks_server: JwksServer, clock: FakeClock
) -> None:
    signer = cached_key("EdDSA", "kid-EdDSA")
    await verifier.verify(signer.token(claims()))
    clock.advance(REFETCH_INTERVAL)

    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await verifier.verify(signer.token(claims(), kid="bogus"))
    assert jwks_server.requests == 2

    flood = [verifier.verify(signer.token(claims(), kid=f"bogus-{n}")) for n in range(100)]
    results = await asyncio.gather(*flood, return_exceptions=True)
    assert all(isinstance(result, InvalidToken) for result in results)
    assert jwks_server.requests == 2  # still inside the window

    clock.advance(REFETCH_INTERVAL)
    flood = [verifier.verify(signer.token(claims(), kid=f"again-{n}")) for n in range(100)]
    await asyncio.gather(*flood, return_exceptions=True)
    assert jwks_server.requests == 3  # a new window: one shared fetch


async def test_an_auth_server_that_is_down_means_unavailable_not_a_hang(clock: FakeClock) -> None:
    verifier = jwks_mode(JwksKeySet(unused_loopback_url(), fetch_timeout=1.0, clock=clock))
    started = time.monotonic()
    try:
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(cached_key("EdDSA", "kid-EdDSA").token(claims()))
    finally:
        await verifier.aclose()
    assert time.monotonic() - started < 3


async def test_a_hanging_auth_server_times_out_quickly(
    jwks_server: JwksServer, clock: FakeClock
) -> None:
    jwks_server.delay = 10
    verifier = jwks_mode(JwksKeySet(jwks_server.jwks_url, fetch_timeout=0.3, clock=clock))
    started = time.monotonic()
    try:
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(cached_key("EdDSA", "kid-EdDSA").token(claims()))
    finally:
        await verifier.aclose()
    assert time.monotonic() - started < 3


async def test_cached_keys_keep_working_while_the_auth_server_hangs(
    jwks_server: JwksServer, clock: FakeClock
) -> None:
    key_set = JwksKeySet(jwks_server.jwks_url, fetch_timeout=0.3, cache_ttl=60, clock=clock)
    verifier = jwks_mode(key_set)
    token = cached_key("ES256", "kid-ES256").token(claims())
    try:
        await verifier.verify(token)
        jwks_server.delay = 10
        clock.advance(60)
        started = time.monotonic()
        assert (await verifier.verify(token)).user_id == "user-1"
        assert (await verifier.verify(token)).user_id == "user-1"
        assert time.monotonic() - started < 3
        await key_set.wait_for_fetch()  # the background refresh, given up at its time limit
    finally:
        await verifier.aclose()
    assert jwks_server.requests == 2
