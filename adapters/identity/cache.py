"""A cache of verified tokens in front of any ``TokenVerifier``.

Verifying a JWT (parse, signature, claims) costs more than the rest of a small request.
A browser sends the same token for many requests until it expires, and a token that
verified once verifies the same way until then: its bytes are signed. So the identity is
remembered per token until the token's ``exp``. Only tokens that verified are cached (a
flood of bogus tokens cannot fill it), and it lives in one process.

Bounds (ADR 0017), so that no caller can grow it or push everyone else out:

- **Keyed by a digest** of the token (SHA-256), never by its text: an entry costs the same
  whatever the token's size. One token has one spelling here (``read_token`` refuses any
  non-canonical base64url), so spellings cannot multiply entries either.
- **At most ``max_entries_per_user`` per user** (``sub``): a user who presents many tokens
  (each new one a new entry) evicts only their own oldest.
- **At most ``max_entries`` and ``max_bytes`` in all** (an entry is counted as its user id's
  bytes plus a fixed overhead measured with tracemalloc); oldest entries go first.

A consequence to know: a key removed from the JWKS before its tokens expire keeps accepting
those tokens here until their ``exp`` (at most 15 minutes with Better Auth's defaults) — the
same as any JWT, which cannot be revoked.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Protocol

from application.ports import Identity, TokenVerifier

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# Tabs, devices, and frontends that fetch a fresh token per call: more than honest use needs.
DEFAULT_MAX_ENTRIES_PER_USER = 16
# What one entry holds in CPython beyond its user id (digest, Identity, float, the slots in
# both indexes): about 580 bytes measured, rounded up.
ENTRY_OVERHEAD_BYTES = 640


def entry_bytes(identity: Identity) -> int:
    return ENTRY_OVERHEAD_BYTES + len(identity.user_id.encode("utf-8", "surrogatepass"))


class TokenCacheObserver(Protocol):
    """Told of every lookup (the service's metrics): ``hit`` when the token was remembered
    and not yet at its ``exp``, so the verifier was not called."""

    def looked_up(self, hit: bool) -> None: ...


class CachingTokenVerifier:
    def __init__(
        self,
        inner: TokenVerifier,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_entries_per_user: int = DEFAULT_MAX_ENTRIES_PER_USER,
        clock: Callable[[], float] = time.time,
        observer: TokenCacheObserver | None = None,
    ) -> None:
        self._inner = inner
        self._observer = observer
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._max_entries_per_user = max_entries_per_user
        self._clock = clock
        # Both in insertion order (dicts keep it): the first key is the oldest entry.
        self._verified: dict[bytes, Identity] = {}
        self._by_user: dict[str, dict[bytes, None]] = {}
        self._bytes = 0

    @property
    def entries(self) -> int:
        return len(self._verified)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    async def verify(self, token: str) -> Identity:
        key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        identity = self._verified.get(key)
        if identity is not None:
            if identity.expires_at is not None and self._clock() < identity.expires_at:
                if self._observer is not None:
                    self._observer.looked_up(True)
                return identity
            # At its exp: forget it and let the verifier decide (it allows clock-skew leeway).
            self._forget(key)
        if self._observer is not None:
            self._observer.looked_up(False)
        identity = await self._inner.verify(token)
        if identity.expires_at is not None:
            self._remember(key, identity)
        return identity

    async def aclose(self) -> None:
        aclose = getattr(self._inner, "aclose", None)
        if aclose is not None:
            await aclose()

    def _remember(self, key: bytes, identity: Identity) -> None:
        if key in self._verified:  # verified twice concurrently: one entry
            return
        users_keys = self._by_user.setdefault(identity.user_id, {})
        if len(users_keys) >= self._max_entries_per_user:
            self._forget(next(iter(users_keys)))
            users_keys = self._by_user.setdefault(identity.user_id, {})
        self._verified[key] = identity
        users_keys[key] = None
        self._bytes += entry_bytes(identity)
        while self._verified and (
            len(self._verified) > self._max_entries or self._bytes > self._max_bytes
        ):
            self._forget(next(iter(self._verified)))

    def _forget(self, key: bytes) -> None:
        identity = self._verified.pop(key)
        self._bytes -= entry_bytes(identity)
        users_keys = self._by_user[identity.user_id]
        del users_keys[key]
        if not users_keys:
            del self._by_user[identity.user_id]
