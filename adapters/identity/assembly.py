"""The token verifier the service runs, assembled from the identity settings."""

from __future__ import annotations

from adapters.identity.cache import CachingTokenVerifier
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.jwks import JwksVerifier, jwks_verifier_from_settings
from adapters.identity.shared_secret import SharedSecretVerifier


def assemble_token_verifier(
    *,
    shared_secret: str | None,
    better_auth_url: str | None,
    jwks_url: str | None,
    issuer: str | None,
    audience: str | None,
    jwks_fetch_timeout: float,
    jwks_refetch_interval: float,
    jwks_cache_ttl: float,
) -> CachingTokenVerifier:
    """Shared-secret mode if ``shared_secret`` is set, JWKS mode if ``better_auth_url`` or
    ``jwks_url`` is, both routed by the composite behind the verified-token cache.

    Raises ``IdentityConfigurationError`` for any configuration that could accept forged
    tokens, and when neither mode is on. Call ``aclose`` on shutdown: JWKS mode holds an
    HTTP client.
    """
    shared: SharedSecretVerifier | None = None
    if shared_secret is not None:
        shared = SharedSecretVerifier(shared_secret, issuer=issuer, audience=audience)
    jwks: JwksVerifier | None = None
    if better_auth_url is not None or jwks_url is not None:
        jwks = jwks_verifier_from_settings(
            better_auth_url=better_auth_url,
            jwks_url=jwks_url,
            issuer=issuer,
            audience=audience,
            fetch_timeout=jwks_fetch_timeout,
            refetch_interval=jwks_refetch_interval,
            cache_ttl=jwks_cache_ttl,
        )
    if shared is None and jwks is None:
        raise IdentityConfigurationError(
            "no token verification configured: set BETTER_AUTH_URL (Better Auth's jwt() plugin)"
            " and/or BETTER_AUTH_SECRET (≥ 32 characters, HS256)"
        )
    return CachingTokenVerifier(CompositeTokenVerifier(shared_secret=shared, jwks=jwks))
