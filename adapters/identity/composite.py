"""One ``TokenVerifier`` for both modes: the token header's ``alg`` picks the verifier.

Routing by ``alg`` before any key is touched is what keeps the modes apart: an HS256 token only
ever meets the shared secret, an asymmetric one only ever meets a JWKS public key, so a token
"signed" with a public key as an HMAC secret has nowhere to go.
"""

from __future__ import annotations

from adapters.identity.jwks import JWKS_ALGORITHMS, JwksVerifier
from adapters.identity.shared_secret import ALGORITHM as SHARED_SECRET_ALGORITHM
from adapters.identity.shared_secret import SharedSecretVerifier
from adapters.identity.unverified import read_token
from application.errors import InvalidToken
from application.ports import Identity


class CompositeTokenVerifier:
    """HS256 → the shared-secret verifier, EdDSA/ES256/ES512/RS256 → the JWKS verifier, each
    only if configured; any other ``alg`` (``none`` included) is refused. The token is read
    (size, canonical encoding, header, claims' shapes, no ``crit``) here, once for both
    modes, and handed on as read."""

    def __init__(
        self,
        *,
        shared_secret: SharedSecretVerifier | None = None,
        jwks: JwksVerifier | None = None,
    ) -> None:
        if shared_secret is None and jwks is None:
            raise ValueError("at least one token verifier is needed")
        self._shared_secret = shared_secret
        self._jwks = jwks

    async def verify(self, token: str) -> Identity:
        unverified = read_token(token)
        verifier = self._verifier_for(unverified.header.get("alg"))
        if verifier is None:
            raise InvalidToken("the access token's algorithm is not accepted")
        return await verifier.verify(unverified)

    async def aclose(self) -> None:
        """Close the JWKS verifier's HTTP client (call once, on shutdown)."""
        if self._jwks is not None:
            await self._jwks.aclose()

    def _verifier_for(self, algorithm: object) -> SharedSecretVerifier | JwksVerifier | None:
        if algorithm == SHARED_SECRET_ALGORITHM:
            return self._shared_secret
        if isinstance(algorithm, str) and algorithm in JWKS_ALGORITHMS:
            return self._jwks
        return None
