"""GCRA in memory, on a clock the test moves: bursts, refill, per key, bounded keys."""

from __future__ import annotations

from adapters.rate_limit import InMemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_burst_of_the_limit_then_one_per_interval() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(3, 60.0, clock=clock)
    decisions = [await limiter.acquire("u") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].retry_after == 20.0
    clock.now += 20.0
    assert (await limiter.acquire("u")).allowed
    assert not (await limiter.acquire("u")).allowed
    assert (await limiter.acquire("someone else")).allowed


async def test_keys_whose_allowance_is_whole_are_forgotten_first() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(2, 60.0, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        await limiter.acquire(key)
    clock.now += 60.0
    await limiter.acquire("d")
    await limiter.acquire("d")
    await limiter.acquire("e")
    assert not (await limiter.acquire("d")).allowed  # d is still tracked
