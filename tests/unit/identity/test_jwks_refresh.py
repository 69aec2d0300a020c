"""The refresh policy (ADR 0017), on a clock the test moves and an endpoint the test can
hold: known keys never wait, one fetch is shared, fetches are spaced, and a key server that
is down gives ``IdentityProviderUnavailable`` (503), not a 401."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet
from adapters.identity.jwks.key_set import (
    DEFAULT_CACHE_TTL_SECONDS,
    DEFAULT_REFETCH_INTERVAL_SECONDS,
)
from application.errors import IdentityProviderUnavailable, InvalidToken
from tests.unit.identity.fakes import JWKS_URL, FakeClock, FakeJwksEndpoint
from tests.unit.identity.signing import cached_key, claims
from tests.unit.identity.wiring import jwks_mode

INTERVAL = DEFAULT_REFETCH_INTERVAL_SECONDS
TTL = DEFAULT_CACHE_TTL_SECONDS
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
    """The default intervals, as a service without JWKS_* settings runs."""
    async with endpoint.client() as client:
        key_set = JwksKeySet(JWKS_URL, http_client=client, clock=clock)
        yield key_set
        await key_set.aclose()


@pytest.fixture
def verifier(key_set: JwksKeySet) -> CompositeTokenVerifier:
    return jwks_mode(key_set)


def bogus(number: int) -> str:
    return KNOWN.token(claims(), kid=f"bogus-{number}")


async def settle() -> None:
    """Let every task that can run, run (the fake endpoint answers without I/O)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_known_keys_are_served_while_one_background_refresh_runs(
    endpoint: FakeJwksEndpoint,
    verifier: CompositeTokenVerifier,
    key_set: JwksKeySet,
    clock: FakeClock,
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.gate = asyncio.Event()  # the next fetch hangs until the test opens it
    endpoint.publish(ROTATED)
    clock.advance(TTL)
    for number in range(50):  # the set is stale: none of these waits for the refresh
        assert (await verifier.verify(KNOWN.token(claims(sub=f"u{number}")))).user_id
    await settle()
    assert endpoint.requests == 2  # one refresh started, not fifty
    # A token whose key is not cached waits for that same fetch, not a new one.
    waiting = [asyncio.create_task(verifier.verify(ROTATED.token(claims()))) for _ in range(10)]
    await settle()
    assert not any(task.done() for task in waiting)
    endpoint.gate.set()
    assert {(await task).user_id for task in waiting} == {"user-1"}
    assert endpoint.requests == 2


async def test_never_two_fetches_in_a_row(
    endpoint: FakeJwksEndpoint,
    verifier: CompositeTokenVerifier,
    key_set: JwksKeySet,
    clock: FakeClock,
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    clock.advance(TTL)
    await verifier.verify(KNOWN.token(claims()))  # starts the background refresh
    await key_set.wait_for_fetch()
    # Right after it ended: an unknown kid does not fetch again, even though the set was
    # just stale; it is refused on what the refresh found.
    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await verifier.verify(bogus(0))
    assert endpoint.requests == 2
    clock.advance(INTERVAL)
    with pytest.raises(InvalidToken, match="signing key is unknown"):
        await verifier.verify(bogus(1))
    assert endpoint.requests == 3


async def test_a_key_server_that_is_down_is_a_503_only_for_keys_not_cached(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    await verifier.verify(KNOWN.token(claims()))
    endpoint.status = 503
    clock.advance(INTERVAL)
    with pytest.raises(IdentityProviderUnavailable) as caught:
        await verifier.verify(ROTATED.token(claims()))
    assert caught.value.retry_after_seconds == INTERVAL  # when the next fetch may start
    clock.advance(4)
    with pytest.raises(IdentityProviderUnavailable) as caught:
        await verifier.verify(bogus(0))
    assert caught.value.retry_after_seconds == INTERVAL - 4
    assert (await verifier.verify(KNOWN.token(claims()))).user_id == "user-1"
    assert endpoint.requests == 2
    endpoint.status = 200
    endpoint.publish(ROTATED)
    clock.advance(INTERVAL)
    assert (await verifier.verify(ROTATED.token(claims(sub="back")))).user_id == "back"


async def test_a_key_server_down_from_the_start_is_a_503_with_retry_after(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier
) -> None:
    endpoint.status = 500
    results = await asyncio.gather(
        *(verifier.verify(KNOWN.token(claims())) for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(result, IdentityProviderUnavailable) for result in results)
    retry_afters = {
        result.retry_after_seconds
        for result in results
        if isinstance(result, IdentityProviderUnavailable)
    }
    assert retry_afters == {INTERVAL}
    assert endpoint.requests == 1


async def test_a_rotated_key_is_accepted_within_an_interval_while_kids_flood(
    endpoint: FakeJwksEndpoint, verifier: CompositeTokenVerifier, clock: FakeClock
) -> None:
    """Two simulated minutes of 50 bogus kids every half second; a key is rotated in at
    t = 33 s. Its tokens are accepted by t = 33 + INTERVAL, and the flood costs at most one
    fetch per INTERVAL."""
    await verifier.verify(KNOWN.token(claims()))
    start, rotated_at, accepted_at = clock.now, clock.now + 33, None
    while clock.now < start + 120:
        clock.advance(0.5)
        if accepted_at is None and clock.now >= rotated_at:
            if len(endpoint.jwks) == 1:
                endpoint.publish(ROTATED)
            try:
                await verifier.verify(ROTATED.token(claims()))
                accepted_at = clock.now
            except InvalidToken:
                pass
        results = await asyncio.gather(
            *(verifier.verify(bogus(number)) for number in range(50)), return_exceptions=True
        )
        assert all(isinstance(result, InvalidToken) for result in results)
        assert (await verifier.verify(KNOWN.token(claims()))).user_id == "user-1"
    assert accepted_at is not None
    assert accepted_at - rotated_at <= INTERVAL
    assert endpoint.requests - 1 <= 120 / INTERVAL  # 6 fetches a minute at most
