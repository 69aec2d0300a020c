"""The verified-token cache: same answers as the verifier, fewer verifications."""

from __future__ import annotations

import pytest

from adapters.identity.cache import CachingTokenVerifier, entry_bytes
from adapters.identity.composite import CompositeTokenVerifier
from adapters.identity.shared_secret import SharedSecretMinter, SharedSecretVerifier
from application.errors import InvalidToken
from application.ports import Identity


class CountingVerifier:
    """A fake verifier: tokens look like "user:exp" or "user:exp:anything"; "bad" tokens
    are refused."""

    def __init__(self, now: list[float]) -> None:
        self.calls = 0
        self.now = now

    async def verify(self, token: str) -> Identity:
        self.calls += 1
        user, exp, *_ = token.split(":")
        if user == "bad" or float(exp) <= self.now[0]:
            raise InvalidToken("refused")
        return Identity(user_id=user, expires_at=float(exp))


def make(
    max_entries: int = 100, **bounds: int
) -> tuple[CachingTokenVerifier, CountingVerifier, list[float]]:
    now = [1000.0]
    inner = CountingVerifier(now)
    cache = CachingTokenVerifier(inner, max_entries=max_entries, clock=lambda: now[0], **bounds)
    return cache, inner, now


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


async def test_an_entry_costs_the_same_whatever_the_tokens_size() -> None:
    cache, _, _ = make()
    await cache.verify("alice:2000")
    small = cache.size_bytes
    await cache.verify("alice:2000:" + "x" * 8000)
    assert cache.size_bytes == 2 * small == 2 * entry_bytes(Identity("alice", 2000.0))


async def test_one_user_with_many_tokens_keeps_only_their_newest_and_evicts_nobody_else() -> None:
    cache, inner, _ = make(max_entries=100, max_entries_per_user=4)
    others = [f"user-{number}:2000" for number in range(20)]
    for other in others:
        await cache.verify(other)
    for number in range(500):
        await cache.verify(f"mallory:2000:{number}")
    assert cache.entries == 20 + 4
    calls = inner.calls
    for other in others:  # still cached: no verification
        await cache.verify(other)
    for number in range(496, 500):
        await cache.verify(f"mallory:2000:{number}")
    assert inner.calls == calls
    await cache.verify("mallory:2000:0")  # long gone
    assert inner.calls == calls + 1


async def test_the_cache_is_bounded_in_bytes() -> None:
    long_id = "u" * 255
    budget = 10 * entry_bytes(Identity(long_id, 2000.0))
    cache, inner, _ = make(max_entries=10_000, max_bytes=budget)
    for number in range(50):
        await cache.verify(f"{long_id}{number}:2000")
        assert cache.size_bytes <= budget
    assert 0 < cache.entries <= 10
    calls = inner.calls
    await cache.verify(f"{long_id}49:2000")  # the newest stayed
    assert inner.calls == calls
    await cache.verify(f"{long_id}0:2000")  # the oldest went first
    assert inner.calls == calls + 1


async def test_expired_entries_leave_every_index() -> None:
    cache, _, now = make(max_entries_per_user=2)
    await cache.verify("alice:1100")
    await cache.verify("alice:1100:b")
    now[0] = 1100.0
    for token in ("alice:1100", "alice:1100:b"):
        with pytest.raises(InvalidToken):
            await cache.verify(token)
    assert cache.entries == 0
    assert cache.size_bytes == 0
    await cache.verify("alice:2000")
    await cache.verify("alice:2000:b")
    assert cache.entries == 2


async def test_respelled_tokens_do_not_grow_the_cache_in_front_of_the_real_verifier() -> None:
    secret = "a-shared-secret-of-at-least-32-characters!"
    cache = CachingTokenVerifier(CompositeTokenVerifier(shared_secret=SharedSecretVerifier(secret)))
    token = SharedSecretMinter(secret).mint("alice", ttl_seconds=600)
    assert (await cache.verify(token)).user_id == "alice"
    header, claims, signature = token.split(".")
    spellings = [
        *(f"{header}.{claims}.{signature}{'=' * n}" for n in range(1, 4)),
        *(f"{header}.{claims}.{signature}{junk * 4}" for junk in "!~*$%&"),
        *(f"{header}.{claims}.{signature[:4]}{junk * 4}{signature[4:]}" for junk in "!~*$%&="),
        *(f"{header}{'=' * n}.{claims}.{signature}" for n in range(1, 4)),
        *(f"{header}.{claims}{junk * 4}.{signature}" for junk in "!~*$%&"),
    ]
    for spelling in spellings:
        with pytest.raises(InvalidToken, match="malformed"):
            await cache.verify(spelling)
    assert cache.entries == 1
