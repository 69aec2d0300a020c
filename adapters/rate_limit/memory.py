"""GCRA (the generic cell rate algorithm) in this process's memory.

Per key, one number: the theoretical arrival time (TAT), the moment the key's allowance
would be whole again. Each request moves it ``window / limit`` later; a request that would
move it more than ``window`` ahead of now is refused. That admits ``limit`` requests at
once, then one per ``window / limit`` — a sliding window without storing timestamps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from application.ports import RateDecision

# Seconds; a float's rounding must not refuse the last request of a burst.
_EPSILON = 1e-9


class InMemoryRateLimiter:
    """Limits of this process only. At most ``max_keys`` keys are kept: past that, keys
    whose allowance is whole again are dropped (they hold no information), then the
    oldest."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._interval = window / limit
        self._clock = clock
        self._max_keys = max_keys
        self._arrivals: dict[str, float] = {}

    async def acquire(self, key: str) -> RateDecision:
        return self.decide(key, self._clock())

    def decide(self, key: str, now: float) -> RateDecision:
        arrival = max(self._arrivals.get(key, now), now)
        used = arrival + self._interval - now
        if used > self.window + _EPSILON:
            return refused(self.limit, self.window, used - self.window, arrival - now)
        self._arrivals.pop(key, None)  # re-inserted last: dict order is age order
        self._arrivals[key] = arrival + self._interval
        if len(self._arrivals) > self._max_keys:
            self._forget(now)
        return admitted(self.limit, self.window, used)

    def _forget(self, now: float) -> None:
        for key in [key for key, arrival in self._arrivals.items() if arrival <= now]:
            del self._arrivals[key]
        while len(self._arrivals) > self._max_keys:
            del self._arrivals[next(iter(self._arrivals))]


def admitted(limit: int, window: float, used: float) -> RateDecision:
    """An admitted request, when ``used`` seconds of the window are now taken."""
    interval = window / limit
    remaining = max(0, math.floor((window - used) / interval + _EPSILON))
    return RateDecision(True, limit, window, remaining, 0.0, max(used, 0.0))


def refused(limit: int, window: float, retry_after: float, reset_after: float) -> RateDecision:
    return RateDecision(False, limit, window, 0, max(retry_after, 0.0), max(reset_after, 0.0))
