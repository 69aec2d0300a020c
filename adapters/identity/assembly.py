"""The token verifier the service runs, assembled from the identity settings."""

from __future__ import annotations

from adapters.identity.cache import CachingTokenVerifier
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.jwks import JwksVerifier, jwks_verifier_from_settings
from adapters.identity.settings import IdentitySettings
from adapters.identity.shared_secret import SharedSecretVerifier


def assemble_token_verifier(settings: IdentitySettings) -> CachingTokenVerifier:
    """Shared-secret mode if ``BETTER_AUTH_SECRET`` is set, JWKS mode if ``BETTER_AUTH_URL``
    or ``JWT_JWKS_URL`` is, both routed by the composite behind the verified-token cache.

    Raises ``IdentityConfigurationError`` for any configuration that could accept forged
    tokens, and when neither mode is on. Call ``aclose`` on shutdown: JWKS mode holds an
    HTTP client.
    """
    shared: SharedSecretVerifier | None = None
    if settings.better_auth_secret is not None:
        shared = SharedSecretVerifier(
            settings.better_auth_secret, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    jwks: JwksVerifier | None = None
    if settings.better_auth_url is not None or settings.jwt_jwks_url is not None:
        jwks = jwks_verifier_from_settings(settings)
    if shared is None and jwks is None:
        raise IdentityConfigurationError(
            "no token verification configured: set BETTER_AUTH_URL (Better Auth's jwt() plugin)"
            " and/or BETTER_AUTH_SECRET (≥ 32 characters, HS256)"
        )
    return CachingTokenVerifier(CompositeTokenVerifier(shared_secret=shared, jwks=jwks))
