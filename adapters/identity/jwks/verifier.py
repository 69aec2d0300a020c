"""A token checked against the JWKS: its ``kid`` picks the key, the key fixes the algorithm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.identity.claims import DEFAULT_MAX_LIFETIME_SECONDS, verified_identity
from adapters.identity.jwks.key_set import JwksKeySet
from adapters.identity.jwks.keys import JWKS_ALGORITHMS
from adapters.identity.unverified import UnverifiedToken
from application.errors import InvalidToken
from application.ports import Identity


class JwksVerifier:
    """Accepts EdDSA, ES256, ES512 and RS256 tokens signed by a key of the JWKS, each key only
    with its own algorithm. Header members that point at other keys (``jku``, ``x5u``,
    ``jwk``) are ignored: keys come from the configured JWKS only. Takes the token as
    ``read_token`` read it (the composite does, once per verification; ``crit`` and the
    claims' shapes are refused there, for both modes). Raises ``IdentityProviderUnavailable``
    when the token's key is not cached and the JWKS cannot be fetched."""

    def __init__(
        self,
        key_set: JwksKeySet,
        *,
        issuer: str,
        audience: str,
        max_lifetime: float = DEFAULT_MAX_LIFETIME_SECONDS,
    ) -> None:
        self._key_set = key_set
        self._issuer = issuer
        self._audience = audience
        self._max_lifetime = max_lifetime

    async def verify(self, token: UnverifiedToken) -> Identity:
        algorithm = _accepted_algorithm(token.header)
        key = await self._key_set.key_for(_key_id(token.header))
        if key.algorithm != algorithm:
            raise InvalidToken("the access token's algorithm does not match its key")
        return verified_identity(
            token,
            key.key,
            algorithm=key.algorithm,
            issuer=self._issuer,
            audience=self._audience,
            max_lifetime=self._max_lifetime,
        )

    async def aclose(self) -> None:
        await self._key_set.aclose()


def _accepted_algorithm(header: Mapping[str, Any]) -> str:
    # The composite routes only these algorithms here; the verifier still refuses the rest
    # itself, so no caller can make a JWKS key meet HS* or none.
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in JWKS_ALGORITHMS:
        raise InvalidToken("the access token's algorithm is not accepted")
    return algorithm


def _key_id(header: Mapping[str, Any]) -> str:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("the access token has no key id")
    return kid
