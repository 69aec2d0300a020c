"""Per-user rate limiters (the ``RateLimiter`` port): GCRA in process memory, or in Redis
shared by every process."""

from adapters.rate_limit.memory import InMemoryRateLimiter
from adapters.rate_limit.shared import RedisRateLimiter

__all__ = ["InMemoryRateLimiter", "RedisRateLimiter"]
