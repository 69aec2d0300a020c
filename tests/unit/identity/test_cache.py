"""The verified-token cache: same answers as the verifier, fewer verifications."""

from __future__ import annotations

import pytest

from adapters.identity.cache import CachingTokenVerifier
from application.errors import InvalidToken
from application.ports import Identity


class CountingVerifier:
    """A fake verifier: tokens look like "user:exp"; "bad" tokens are refused."""

    def __init__(self, now: list[float]) -> None:
        self.calls = 0
        self.now = now

    async def verify(self, token: str) -> Identity:
        self.calls += 1
        user, _, exp = token.partition(":")
        if user == "bad" or float(exp) <= self.now[0]:
            raise InvalidToken("refused")
        return Identity(user_id=user, expires_at=float(exp))


def make(max_entries: int = 100) -> tuple[CachingTokenVerifier, CountingVerifier, list[float]]:
    now = [1000.0]
    inner = CountingVerifier(now)
    return CachingTokenVerifier(inner, max_entries=max_entries, clock=lambda: now[0]), inner, now


async def test_a_token_is_verified_once_until_it_expires() -> None:
    cache, inner, now = make()
    for _ in range(40):
        assert (await cache.verify("alice:1100")).user_id == "alice"
    assert inner.calls == 1
    now[0] = 1100.0
    with pytest.raises(InvalidToken):
        await cache.verify("alice:1100")
    assert inner.calls == 2  # expired: asked the verifier again, which refused


async def test_refused_tokens_are_not_cached() -> None:
    cache, inner, _ = make()
    for _ in range(3):
        with pytest.raises(InvalidToken):
            await cache.verify("bad:2000")
    assert inner.calls == 3


async def test_distinct_tokens_are_distinct_entries() -> None:
    cache, _, _ = make()
    assert (await cache.verify("alice:2000")).user_id == "alice"
    assert (await cache.verify("bob:2000")).user_id == "bob"


async def test_the_cache_is_bounded_oldest_first() -> None:
    cache, inner, _ = make(max_entries=2)
    for token in ("a:2000", "b:2000", "c:2000"):
        await cache.verify(token)
    assert inner.calls == 3
    await cache.verify("c:2000")
    await cache.verify("b:2000")
    assert inner.calls == 3
    await cache.verify("a:2000")  # evicted first
    assert inner.calls == 4
