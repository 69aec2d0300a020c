"""The JWKS, fetched over HTTP lazily, cached, and re-fetched at a bounded rate.

The refresh policy (ADR 0017):

- **Known keys never wait.** A token whose key is cached is verified with it at once; when
  the set is older than ``cache_ttl``, a refresh starts in the background and the request
  goes on with the cached key.
- **One fetch at a time, shared.** Every request that needs a fetch (an unknown ``kid``, no
  keys yet) waits for the one in flight, whether a background refresh or not, instead of
  starting its own.
- **Never two in a row.** A fetch starts only ``refetch_interval`` seconds after the previous
  one ended, successful or not. A flood of made-up kids therefore costs at most one fetch
  per interval (6 a minute at the default 10 s), and a key rotated in during that flood is
  picked up by the next of them, within one interval.
- **Down is not signed out.** When the token's key is not cached and the last fetch failed,
  the answer is ``IdentityProviderUnavailable`` (a 503 with ``Retry-After``: when the next
  fetch may start), not ``InvalidToken``. An unknown kid after a successful fetch is
  ``InvalidToken``. Cached keys stay in use however long the JWKS stays unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

import httpx

from adapters.identity.jwks.keys import JwksUnavailable, VerificationKey, parse_key_set
from application.errors import IdentityProviderUnavailable, InvalidToken

logger = logging.getLogger(__name__)

DEFAULT_FETCH_TIMEOUT_SECONDS = 3.0
DEFAULT_REFETCH_INTERVAL_SECONDS = 10.0
DEFAULT_CACHE_TTL_SECONDS = 600.0
# A JWKS holds a handful of public keys (~1 KiB each for RSA); more is not a key set.
MAX_JWKS_BYTES = 64 * 1024


class JwksKeySet:
    """The JWKS at ``url``, fetched lazily and cached, refreshed by the policy above.
    ``clock`` is monotonic seconds (a test moves its own)."""

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
        self._fetched_at: float | None = None  # when the last successful fetch ended
        self._last_fetch_ended_at: float | None = None  # successful or not
        self._last_fetch_failed = False
        self._fetch: asyncio.Task[None] | None = None  # the one fetch in flight

    async def key_for(self, kid: str) -> VerificationKey:
        key = self._keys.get(kid)
        if key is not None:
            if self._is_stale():
                self._start_fetch()  # in the background: this request goes on at once
            return key
        # Not cached: maybe rotated in since the last fetch, so wait for one if one may run.
        fetch = self._start_fetch()
        if fetch is not None:
            await asyncio.shield(fetch)  # a waiter that gives up does not cancel the others'
            key = self._keys.get(kid)
            if key is not None:
                return key
        if self._fetched_at is None or self._last_fetch_failed:
            raise IdentityProviderUnavailable(self._seconds_until_next_fetch())
        raise InvalidToken("the access token's signing key is unknown")

    async def wait_for_fetch(self) -> None:
        """Return once the fetch in flight, if any (a background refresh), has ended."""
        if self._fetch is not None:
            await asyncio.shield(self._fetch)

    async def aclose(self) -> None:
        fetch, self._fetch = self._fetch, None
        if fetch is not None:
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await fetch
        if self._owns_client:
            await self._http.aclose()

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._cache_ttl

    def _seconds_until_next_fetch(self) -> int:
        if self._last_fetch_ended_at is None:
            return 1
        remaining = self._refetch_interval - (self._clock() - self._last_fetch_ended_at)
        return max(1, math.ceil(remaining))

    def _start_fetch(self) -> asyncio.Task[None] | None:
        """The fetch in flight, else a new one if the interval since the last has passed,
        else ``None``."""
        if self._fetch is not None:
            return self._fetch
        if self._last_fetch_ended_at is not None and (
            self._clock() - self._last_fetch_ended_at < self._refetch_interval
        ):
            return None
        self._fetch = asyncio.get_running_loop().create_task(self._run_fetch())
        self._fetch.add_done_callback(_log_unexpected_failure)
        return self._fetch

    async def _run_fetch(self) -> None:
        try:
            keys = parse_key_set(await self._download())
        except JwksUnavailable as error:
            self._last_fetch_failed = True
            logger.warning("JWKS refresh from %s failed: %s", self._url, error)
        else:
            self._keys = keys
            self._fetched_at = self._clock()
            self._last_fetch_failed = False
            logger.info("loaded %d signing keys from %s", len(keys), self._url)
        finally:
            self._last_fetch_ended_at = self._clock()
            self._fetch = None

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


def _log_unexpected_failure(fetch: asyncio.Task[None]) -> None:
    # A background refresh has nobody awaiting it: a bug in it would otherwise go unseen.
    if not fetch.cancelled() and fetch.exception() is not None:
        logger.error("JWKS refresh failed unexpectedly", exc_info=fetch.exception())
