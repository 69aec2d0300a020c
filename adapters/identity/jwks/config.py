"""JWKS mode from its settings: where the keys are and which ``iss``/``aud`` tokens must carry,
by Better Auth's own URL rules unless overridden."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.jwks.key_set import JwksKeySet
from adapters.identity.jwks.verifier import JwksVerifier
from adapters.identity.settings import IdentitySettings

BETTER_AUTH_BASE_PATH = "/api/auth"
DEFAULT_PORTS = {"http": 80, "https": 443}


class JwksConfigurationError(IdentityConfigurationError):
    """JWKS mode's settings are unusable (not an http(s) URL, no issuer or audience)."""


@dataclass(frozen=True)
class BetterAuthEndpoints:
    """Where Better Auth publishes its keys, and the ``iss``/``aud`` it puts in tokens."""

    origin: str
    jwks_url: str


def better_auth_endpoints(base_url: str) -> BetterAuthEndpoints:
    """Mirror Better Auth: ``iss`` and ``aud`` default to the origin of its base URL (no path,
    no trailing slash, no default port), and the API lives under the URL's path if it has
    one, else under ``/api/auth``."""
    scheme, host, port, path = _parse_http_url(base_url, name="BETTER_AUTH_URL")
    origin = _origin(scheme, host, port)
    base_path = path.rstrip("/") or BETTER_AUTH_BASE_PATH
    return BetterAuthEndpoints(origin=origin, jwks_url=f"{origin}{base_path}/jwks")


def jwks_verifier_from_settings(settings: IdentitySettings) -> JwksVerifier:
    """JWKS mode from its settings: Better Auth's defaults, each one overridable."""
    base_url = settings.better_auth_url
    defaults = better_auth_endpoints(base_url) if base_url else None
    jwks_url = settings.jwt_jwks_url or (defaults.jwks_url if defaults else None)
    issuer = settings.jwt_issuer or (defaults.origin if defaults else None)
    audience = settings.jwt_audience or (defaults.origin if defaults else None)
    if jwks_url is None:
        raise JwksConfigurationError("JWKS mode needs BETTER_AUTH_URL or JWT_JWKS_URL")
    if issuer is None or audience is None:
        # Without them, a token minted for any other service using the same keys would pass.
        raise JwksConfigurationError(
            "JWT_JWKS_URL without BETTER_AUTH_URL needs JWT_ISSUER and JWT_AUDIENCE"
        )
    _parse_http_url(jwks_url, name="JWT_JWKS_URL")
    key_set = JwksKeySet(
        jwks_url.strip(),
        fetch_timeout=settings.jwks_fetch_timeout,
        refetch_interval=settings.jwks_refetch_interval,
        cache_ttl=settings.jwks_cache_ttl,
    )
    return JwksVerifier(
        key_set, issuer=issuer, audience=audience, max_lifetime=settings.jwt_max_lifetime
    )


def _parse_http_url(url: str, *, name: str) -> tuple[str, str, int | None, str]:
    """Scheme, host, port and path of an http(s) URL; anything else is refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a malformed port
    except ValueError as error:
        raise JwksConfigurationError(f"{name} is not a valid URL") from error
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise JwksConfigurationError(f"{name} must be an http:// or https:// URL with a host")
    return parts.scheme, parts.hostname, port, parts.path


def _origin(scheme: str, host: str, port: int | None) -> str:
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
