"""A loopback JWKS server per test, and verifiers wired to it with a test-controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.identity.jwks import JwksKeySet, JwksVerifier
from tests.integration.identity.jwks_server import JwksServer
from tests.unit.identity.fakes import FakeClock
from tests.unit.identity.signing import ALGORITHMS, AUDIENCE, ISSUER, cached_key

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
async def verifier(jwks_server: JwksServer, clock: FakeClock) -> AsyncIterator[JwksVerifier]:
    key_set = JwksKeySet(jwks_server.jwks_url, refetch_interval=REFETCH_INTERVAL, clock=clock)
    verifier = JwksVerifier(key_set, issuer=ISSUER, audience=AUDIENCE)
    yield verifier
    await verifier.aclose()
