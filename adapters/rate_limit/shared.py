"""GCRA in Redis, shared by every process: one Lua script, one round trip per request.

The script reads Redis's own clock (``TIME``), so processes on different hosts agree
whatever their clocks say, and it reads and writes the key atomically. While Redis cannot
be reached the limiter falls back to this process's own limit (ADR 0019): one warning line
when that starts, one info line when Redis answers again, and no request waits on a dead
Redis for more than a connect timeout per ``retry_interval``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from adapters.rate_limit.memory import InMemoryRateLimiter, admitted, refused
from application.ports import RateDecision

logger = logging.getLogger("todo_api.rate_limit")

KEY_PREFIX = "todo-api:rate:"
# Microseconds throughout: integers that a Lua double holds exactly (< 2^53).
_GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local arrival = tonumber(redis.call('GET', KEYS[1]) or now)
if arrival < now then arrival = now end
local used = arrival + interval - now
if used > window then
    return {0, used - window, arrival - now}
end
redis.call('SET', KEYS[1], string.format('%d', arrival + interval), 'PX', math.ceil(used / 1000))
return {1, 0, used}
"""
_MICROS = 1_000_000


class RedisRateLimiter:
    def __init__(
        self,
        client: redis.Redis,
        limit: int,
        window: float = 60.0,
        *,
        fallback: InMemoryRateLimiter | None = None,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._client = client
        self._script: Any = client.register_script(_GCRA)
        self._interval_us = max(1, int(window * _MICROS) // limit)
        self._window_us = int(window * _MICROS)
        self._fallback = fallback or InMemoryRateLimiter(limit, window)
        self._retry_interval = retry_interval
        self._clock = clock
        self._down_until: float | None = None

    @classmethod
    def from_url(cls, url: str, limit: int, window: float = 60.0) -> RedisRateLimiter:
        # Short timeouts: a slow Redis must not become every request's latency.
        client = redis.Redis.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5, retry_on_timeout=False
        )
        return cls(client, limit, window)

    async def acquire(self, key: str) -> RateDecision:
        if self._down_until is not None and self._clock() < self._down_until:
            return await self._fallback.acquire(key)
        try:
            allowed, wait, used = await self._script(
                keys=[KEY_PREFIX + key], args=[self._interval_us, self._window_us]
            )
        except (RedisError, OSError) as error:
            if self._down_until is None:
                logger.warning(
                    "Redis is unreachable (%s); rate limits are per process until it answers",
                    type(error).__name__,
                )
            self._down_until = self._clock() + self._retry_interval
            return await self._fallback.acquire(key)
        if self._down_until is not None:
            logger.info("Redis answers again; rate limits are shared again")
            self._down_until = None
        if allowed:
            return admitted(self.limit, self.window, int(used) / _MICROS)
        return refused(self.limit, self.window, int(wait) / _MICROS, int(used) / _MICROS)

    async def aclose(self) -> None:
        await self._client.aclose()
