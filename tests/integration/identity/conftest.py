"""A loopback JWKS server per test, and JWKS mode wired to it with a test-controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet
from tests.integration.identity.jwks_server import JwksServer
from tests.unit.identity.fakes import FakeClock
from tests.unit.identity.signing import ALGORITHMS, cached_key
from tests.unit.identity.wiring import jwks_mode

REFETCH_INTERVAL = 30.0


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer(*(cached_key(algorithm, f"kid-{algorithm}") for algorithm in ALGORITHMS))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def key_set(jwks_server: JwksServer, clock: FakeClock) -> AsyncIterator[JwksKeySet]:
    key_set = JwksKeySet(jwks_server.jwks_url, refetch_interval=REFETCH_INTERVAL, clock=clock)
    yield key_set
    await key_set.aclose()


@pytest.fixture
def verifier(key_set: JwksKeySet) -> CompositeTokenVerifier:
    return jwks_mode(key_set)
