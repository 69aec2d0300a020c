"""A cache of verified tokens in front of any ``TokenVerifier``.

Verifying a JWT (parse, signature, claims) costs more than the rest of a small request.
A browser sends the same token for many requests until it expires, and a token that
verified once verifies the same way until then: its bytes are signed. So the identity is
remembered per exact token string until the token's ``exp``. Only tokens that verified are
cached (a flood of bogus tokens cannot fill it), the cache is bounded (oldest entries go
first), and it lives in one process. A consequence to know: a key removed from the JWKS
before its tokens expire keeps accepting those tokens here until their ``exp`` (at most
15 minutes with Better Auth's defaults) — the same as any JWT, which cannot be revoked.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from application.ports import Identity, TokenVerifier

DEFAULT_MAX_ENTRIES = 10_000


class CachingTokenVerifier:
    def __init__(
        self,
        inner: TokenVerifier,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._inner = inner
        self._max_entries = max_entries
        self._clock = clock
        self._verified: OrderedDict[str, Identity] = OrderedDict()

    async def verify(self, token: str) -> Identity:
        identity = self._verified.get(token)
        if identity is not None:
            if identity.expires_at is not None and self._clock() < identity.expires_at:
                return identity
            # At its exp: forget it and let the verifier decide (it allows clock-skew leeway).
            del self._verified[token]
        identity = await self._inner.verify(token)
        if identity.expires_at is not None:
            self._verified[token] = identity
            if len(self._verified) > self._max_entries:
                self._verified.popitem(last=False)
        return identity

    async def aclose(self) -> None:
        aclose = getattr(self._inner, "aclose", None)
        if aclose is not None:
            await aclose()
