"""The verifiers wired as production wires them, for tests that go through that wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters.identity.cache import CachingTokenVerifier
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.jwks import JwksKeySet, JwksVerifier
from entrypoints.container import build_token_verifier, close_token_verifier
from entrypoints.settings import Settings
from tests.unit.identity.signing import AUDIENCE, ISSUER

# What a test must clear from the environment so that only its own settings count.
IDENTITY_ENV = (
    "BETTER_AUTH_SECRET",
    "BETTER_AUTH_URL",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "JWT_JWKS_URL",
)


def jwks_mode(key_set: JwksKeySet) -> CompositeTokenVerifier:
    """JWKS mode alone, as production runs it: the composite reads the token (size, shape,
    header) and hands it to the JWKS verifier, which expects the test issuer and audience."""
    return CompositeTokenVerifier(jwks=JwksVerifier(key_set, issuer=ISSUER, audience=AUDIENCE))


def settings(**values: Any) -> Settings:
    """Settings from ``values`` and the environment only (no ``.env`` file)."""
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def container_verifier(**values: Any) -> AsyncIterator[CachingTokenVerifier]:
    """The container's token verifier for these settings, closed afterwards."""
    verifier = build_token_verifier(settings(**values))
    try:
        yield verifier
    finally:
        await close_token_verifier(verifier)
