"""Tokens signed by Better Auth's ``jwt()`` plugin: verified with the public keys it publishes
as a JWKS (``{BETTER_AUTH_URL}/api/auth/jwks``), chosen by the token's ``kid``.

Keys are cached; an unknown ``kid`` triggers at most one re-fetch per ``refetch_interval`` (so
a flood of made-up kids cannot hammer the auth server) and the whole set is refreshed in the
background after ``cache_ttl``. When a refresh fails, the cached keys stay in use; a token
whose key is not cached then gets ``IdentityProviderUnavailable`` (503), not a 401.

``config``: settings and Better Auth's URL rules; ``keys``: which published keys are usable;
``key_set``: fetching and caching them; ``verifier``: checking a token against them.
"""

from __future__ import annotations

from adapters.identity.jwks.config import (
    JwksConfigurationError,
    better_auth_endpoints,
    jwks_verifier_from_settings,
)
from adapters.identity.jwks.key_set import JwksKeySet
from adapters.identity.jwks.keys import (
    JWKS_ALGORITHMS,
    JwksUnavailable,
    allowed_algorithm,
    parse_key_set,
    verification_key,
)
from adapters.identity.jwks.verifier import JwksVerifier

__all__ = [
    "JWKS_ALGORITHMS",
    "JwksConfigurationError",
    "JwksKeySet",
    "JwksUnavailable",
    "JwksVerifier",
    "allowed_algorithm",
    "better_auth_endpoints",
    "jwks_verifier_from_settings",
    "parse_key_set",
    "verification_key",
]
