"""Tokens signed by Better Auth's ``jwt()`` plugin: verified with the public keys it publishes
as a JWKS (``{BETTER_AUTH_URL}/api/auth/jwks``), chosen by the token's ``kid``.

Keys are cached; an unknown ``kid`` triggers at most one re-fetch per ``refetch_interval`` (so
a flood of made-up kids cannot hammer the auth server) and the whole set is refreshed lazily
after ``cache_ttl``. When a refresh fails, the cached keys stay in use.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from jose import jwk, jwt
from jose.exceptions import JWKError, JWTError

from adapters.identity import eddsa
from adapters.identity.claims import check_token_size, verified_identity
from application.errors import InvalidToken
from application.ports import Identity

logger = logging.getLogger(__name__)

# jose's key registry is process-wide; EdDSA must be known before any key is constructed.
eddsa.register()

# What Better Auth can sign with and python-jose can verify. PS256 is missing on purpose:
# python-jose 3.5 has no RSA-PSS (its RSA keys only do PKCS#1 v1.5).
JWKS_ALGORITHMS = frozenset({"EdDSA", "ES256", "ES512", "RS256"})

DEFAULT_FETCH_TIMEOUT_SECONDS = 3.0
DEFAULT_REFETCH_INTERVAL_SECONDS = 30.0
DEFAULT_CACHE_TTL_SECONDS = 600.0
# A JWKS holds a handful of public keys (~1 KiB each for RSA); more is not a key set.
MAX_JWKS_BYTES = 64 * 1024
MIN_RSA_MODULUS_BITS = 2048
BETTER_AUTH_BASE_PATH = "/api/auth"
# Members that only private or symmetric keys have: a JWKS publishing them is compromised.
SECRET_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
DEFAULT_PORTS = {"http": 80, "https": 443}


class JwksConfigurationError(ValueError):
    """JWKS mode's settings are unusable (not an http(s) URL, no issuer or audience)."""


class JwksUnavailable(Exception):
    """The key set could not be fetched or is not a key set (never shown to clients)."""


# ----------------------------------------------------------------------------- configuration


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


def jwks_verifier_from_settings(
    *,
    better_auth_url: str | None,
    jwks_url: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    fetch_timeout: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
    refetch_interval: float = DEFAULT_REFETCH_INTERVAL_SECONDS,
    cache_ttl: float = DEFAULT_CACHE_TTL_SECONDS,
) -> JwksVerifier:
    """JWKS mode from its settings: Better Auth's defaults, each one overridable."""
    defaults = better_auth_endpoints(better_auth_url) if better_auth_url else None
    jwks_url = jwks_url or (defaults.jwks_url if defaults else None)
    issuer = issuer or (defaults.origin if defaults else None)
    audience = audience or (defaults.origin if defaults else None)
    if jwks_url is None:
        raise JwksConfigurationError("JWKS mode needs BETTER_AUTH_URL or JWT_JWKS_URL")
    if issuer is None or audience is None:
        # Without them, a token minted for any other service using the same keys would pass.
        raise JwksConfigurationError(
            "JWT_JWKS_URL without BETTER_AUTH_URL needs JWT_ISSUER and JWT_AUDIENCE"
        )
    key_set = JwksKeySet(
        jwks_url,
        fetch_timeout=fetch_timeout,
        refetch_interval=refetch_interval,
        cache_ttl=cache_ttl,
    )
    return JwksVerifier(key_set, issuer=issuer, audience=audience)


def check_jwks_url(url: str) -> str:
    _parse_http_url(url, name="JWT_JWKS_URL")
    return url.strip()


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


# ----------------------------------------------------------------------------- key set parsing


@dataclass(frozen=True)
class VerificationKey:
    """A public key from the JWKS and the one algorithm it may verify."""

    kid: str
    algorithm: str
    key: Any  # a jose Key


def parse_key_set(body: bytes) -> dict[str, VerificationKey]:
    """The usable keys of a JWKS document, by kid. Unusable keys are skipped, not fatal."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise JwksUnavailable("the JWKS response is not JSON") from error
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("the JWKS response has no keys list")
    keys: dict[str, VerificationKey] = {}
    for entry in document["keys"]:
        key = verification_key(entry)
        if key is not None:
            keys.setdefault(key.kid, key)  # a repeated kid cannot replace the first key
    return keys


def verification_key(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return None  # tokens name their key by kid; a key without one can never be chosen
    algorithm = allowed_algorithm(entry)
    if algorithm is None:
        logger.info("ignoring JWKS key %r: unsupported type, curve, algorithm or use", kid)
        return None
    if SECRET_KEY_MEMBERS & entry.keys():
        logger.warning("ignoring JWKS key %r: it carries private key material", kid)
        return None
    try:
        key = jwk.construct(entry, algorithm)
    except (JWKError, ValueError, TypeError, KeyError):
        logger.info("ignoring JWKS key %r: not a valid public key", kid)
        return None
    return VerificationKey(kid=kid, algorithm=algorithm, key=key)


def allowed_algorithm(entry: Mapping[str, Any]) -> str | None:
    """The single algorithm a key may verify, from its type and curve; ``None`` when unusable.

    A declared ``alg`` must agree, ``use`` (if any) must be "sig", and RSA moduli must have at
    least 2048 bits. HS* is never possible: symmetric (``oct``) keys are not accepted.
    """
    if entry.get("use", "sig") != "sig":
        return None
    kty, crv = entry.get("kty"), entry.get("crv")
    if kty == "OKP" and crv == "Ed25519":
        algorithm = "EdDSA"
    elif kty == "EC" and crv == "P-256":
        algorithm = "ES256"
    elif kty == "EC" and crv == "P-521":
        algorithm = "ES512"
    elif kty == "RSA" and _rsa_modulus_bits(entry) >= MIN_RSA_MODULUS_BITS:
        algorithm = "RS256"
    else:
        return None
    declared = entry.get("alg")
    if declared is not None and declared != algorithm:
        return None
    return algorithm


def _rsa_modulus_bits(entry: Mapping[str, Any]) -> int:
    modulus = entry.get("n")
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return 0
    return int.from_bytes(raw, "big").bit_length()


# ----------------------------------------------------------------------------- key cache


class JwksKeySet:
    """The JWKS at ``url``, fetched lazily and cached. At most one fetch is in flight, and
    fetches (successful or not) are at least ``refetch_interval`` seconds apart."""

    def __init__(
        self,
        url: str,
        *,
        fetch_timeout: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
        refetch_interval: float = DEFAULT_REFETCH_INTERVAL_SECONDS,
        cache_ttl: float = DEFAULT_CACHE_TTL_SECONDS,
        max_bytes: int = MAX_JWKS_BYTES,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = check_jwks_url(url)
        self._fetch_timeout = fetch_timeout
        self._refetch_interval = refetch_interval
        self._cache_ttl = cache_ttl
        self._max_bytes = max_bytes
        self._owns_client = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(fetch_timeout), follow_redirects=False
        )
        self._clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._attempts = 0
        self._lock = asyncio.Lock()

    @property
    def url(self) -> str:
        return self._url

    async def key_for(self, kid: str) -> VerificationKey:
        if self._is_stale():
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            await self._refresh()  # maybe the key was rotated in since the last fetch
            key = self._keys.get(kid)
        if key is not None:
            return key
        if self._fetched_at is None:
            raise InvalidToken("the signing keys are unavailable")
        raise InvalidToken("the access token's signing key is unknown")

    async def aclose(self) -> None:
        if self._owns_client:
            await self._http.aclose()

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._cache_ttl

    def _may_fetch_now(self) -> bool:
        if self._attempted_at is None:
            return True
        return self._clock() - self._attempted_at >= self._refetch_interval

    async def _refresh(self) -> None:
        attempts_seen = self._attempts
        async with self._lock:
            if self._attempts != attempts_seen:
                return  # a fetch finished while we waited: share its result
            if not self._may_fetch_now():
                return
            self._attempts += 1
            self._attempted_at = self._clock()
            try:
                self._keys = parse_key_set(await self._download())
            except JwksUnavailable as error:
                logger.warning("JWKS refresh from %s failed: %s", self._url, error)
                return
            self._fetched_at = self._clock()
            logger.info("loaded %d signing keys from %s", len(self._keys), self._url)

    async def _download(self) -> bytes:
        try:
            async with asyncio.timeout(self._fetch_timeout):  # total, not per read
                return await self._read_response()
        except TimeoutError as error:
            raise JwksUnavailable("the JWKS endpoint did not answer in time") from error
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise JwksUnavailable(
                f"the JWKS endpoint is unreachable ({type(error).__name__})"
            ) from error

    async def _read_response(self) -> bytes:
        headers = {"Accept": "application/json"}
        async with self._http.stream("GET", self._url, headers=headers) as response:
            if response.status_code != httpx.codes.OK:
                raise JwksUnavailable(f"the JWKS endpoint answered HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self._max_bytes:
                    raise JwksUnavailable("the JWKS response is too large")
            return bytes(body)


# ----------------------------------------------------------------------------- verifier


def read_unverified_header(token: str) -> dict[str, Any]:
    """The token's JOSE header, unverified: only for choosing the algorithm and key."""
    try:
        header = jwt.get_unverified_header(token)
    except (JWTError, ValueError, TypeError) as error:
        raise InvalidToken("the access token is malformed") from error
    if not isinstance(header, dict):
        raise InvalidToken("the access token is malformed")
    return header


class JwksVerifier:
    """Accepts EdDSA, ES256, ES512 and RS256 tokens signed by a key of the JWKS, each key only
    with its own algorithm. Header members that point at other keys (``jku``, ``x5u``,
    ``jwk``) are ignored: keys come from the configured JWKS only."""

    def __init__(self, key_set: JwksKeySet, *, issuer: str, audience: str) -> None:
        self._key_set = key_set
        self._issuer = issuer
        self._audience = audience

    @property
    def jwks_url(self) -> str:
        return self._key_set.url

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def audience(self) -> str:
        return self._audience

    async def verify(self, token: str) -> Identity:
        check_token_size(token)
        header = read_unverified_header(token)
        algorithm = _accepted_algorithm(header)
        key = await self._key_set.key_for(_key_id(header))
        if key.algorithm != algorithm:
            raise InvalidToken("the access token's algorithm does not match its key")
        return verified_identity(
            token, key.key, algorithm=key.algorithm, issuer=self._issuer, audience=self._audience
        )

    async def aclose(self) -> None:
        await self._key_set.aclose()


def _accepted_algorithm(header: Mapping[str, Any]) -> str:
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in JWKS_ALGORITHMS:
        raise InvalidToken("the access token's algorithm is not accepted")
    if "crit" in header:  # RFC 7515 §4.1.11: we understand no extensions, so must refuse
        raise InvalidToken("the access token uses unsupported header extensions")
    return algorithm


def _key_id(header: Mapping[str, Any]) -> str:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("the access token has no key id")
    return kid
