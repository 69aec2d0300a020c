"""HS256 tokens signed with ``BETTER_AUTH_SECRET`` (frontends that sign their own tokens)."""

from __future__ import annotations

import time
from typing import Any

from jose import jwt

from adapters.identity.claims import DEFAULT_MAX_LIFETIME_SECONDS, verified_identity
from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.unverified import UnverifiedToken
from application.ports import Identity

ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32


class WeakSecret(IdentityConfigurationError):
    """The shared secret is too short to resist brute force."""


def check_secret(secret: str) -> str:
    if len(secret.strip()) < MIN_SECRET_LENGTH:
        raise WeakSecret(f"BETTER_AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters")
    return secret


class _SharedSecret:
    """The secret (checked) and the ``iss``/``aud`` that tokens signed with it carry."""

    def __init__(
        self, secret: str, *, issuer: str | None = None, audience: str | None = None
    ) -> None:
        self._secret = check_secret(secret)
        self._issuer = issuer
        self._audience = audience


class SharedSecretVerifier(_SharedSecret):
    """Accepts HS256 only: the algorithm list is fixed, never read from the token. Takes the
    token as ``read_token`` read it (the composite does, once per verification)."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        max_lifetime: float = DEFAULT_MAX_LIFETIME_SECONDS,
    ) -> None:
        super().__init__(secret, issuer=issuer, audience=audience)
        self._max_lifetime = max_lifetime

    async def verify(self, token: UnverifiedToken) -> Identity:
        return verified_identity(
            token,
            self._secret,
            algorithm=ALGORITHM,
            issuer=self._issuer,
            audience=self._audience,
            max_lifetime=self._max_lifetime,
        )


class SharedSecretMinter(_SharedSecret):
    """Mints HS256 tokens that ``SharedSecretVerifier`` accepts (``todo-admin token mint``)."""

    def mint(self, user_id: str, ttl_seconds: int) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + ttl_seconds}
        if self._issuer:
            claims["iss"] = self._issuer
        if self._audience:
            claims["aud"] = self._audience
        return str(jwt.encode(claims, self._secret, algorithm=ALGORITHM))
