"""The token verifier the service runs, assembled from the identity settings."""

from __future__ import annotations

import logging

from adapters.identity.cache import CachingTokenVerifier, TokenCacheObserver
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.jwks import JwksVerifier, jwks_verifier_from_settings
from adapters.identity.settings import IdentitySettings
from adapters.identity.shared_secret import SharedSecretVerifier

logger = logging.getLogger(__name__)


def assemble_token_verifier(
    settings: IdentitySettings, cache_observer: TokenCacheObserver | None = None
) -> CachingTokenVerifier:
    """Shared-secret mode if ``BETTER_AUTH_SECRET`` is set, JWKS mode if ``BETTER_AUTH_URL``
    or ``JWT_JWKS_URL`` is, both routed by the composite behind the verified-token cache.

    Raises ``IdentityConfigurationError`` for any configuration that could accept forged
    tokens, and when neither mode is on; logs one warning when HS256 tokens would be taken
    whatever their ``iss`` or ``aud``. Call ``aclose`` on shutdown: JWKS mode holds an
    HTTP client. ``cache_observer`` is told of each cache lookup (the service's metrics).
    """
    shared: SharedSecretVerifier | None = None
    if settings.better_auth_secret is not None:
        shared = SharedSecretVerifier(
            settings.better_auth_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_lifetime=settings.jwt_max_lifetime,
        )
        _warn_if_any_issuer_or_audience(settings)
    jwks: JwksVerifier | None = None
    if settings.better_auth_url is not None or settings.jwt_jwks_url is not None:
        jwks = jwks_verifier_from_settings(settings)
    if shared is None and jwks is None:
        raise IdentityConfigurationError(
            "no token verification configured: set BETTER_AUTH_URL (Better Auth's jwt() plugin)"
            " and/or BETTER_AUTH_SECRET (≥ 32 characters, HS256)"
        )
    return CachingTokenVerifier(
        CompositeTokenVerifier(shared_secret=shared, jwks=jwks), observer=cache_observer
    )


def _warn_if_any_issuer_or_audience(settings: IdentitySettings) -> None:
    """Shared-secret mode checks ``iss``/``aud`` only when configured. That is fine for a
    secret this service alone shares with one frontend, and a risk when the same secret
    signs tokens for other services too: say so once, at start-up."""
    checks = (
        ("iss", "JWT_ISSUER", settings.jwt_issuer),
        ("aud", "JWT_AUDIENCE", settings.jwt_audience),
    )
    unset = {claim: name for claim, name, value in checks if value is None}
    if unset:
        logger.warning(
            "shared-secret mode (BETTER_AUTH_SECRET) without %s: HS256 tokens are accepted"
            " whatever their %s",
            " and ".join(unset.values()),
            "/".join(unset),
        )
