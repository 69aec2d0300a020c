"""The JWKS, fetched over HTTP lazily, cached, and re-fetched at a bounded rate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx

from adapters.identity.jwks.keys import JwksUnavailable, VerificationKey, parse_key_set
from application.errors import InvalidToken

logger = logging.getLogger(__name__)

DEFAULT_FETCH_TIMEOUT_SECONDS = 3.0
DEFAULT_REFETCH_INTERVAL_SECONDS = 30.0
DEFAULT_CACHE_TTL_SECONDS = 600.0
# A JWKS holds a handful of public keys (~1 KiB each for RSA); more is not a key set.
MAX_JWKS_BYTES = 64 * 1024


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
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._fetch_timeout = fetch_timeout
        self._refetch_interval = refetch_interval
        self._cache_ttl = cache_ttl
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
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksUnavailable("the JWKS response is too large")
            return bytes(body)
