"""The per-user rate limit at the edge: every authenticated request, on ``/api`` and on
``/mcp``, is weighed for its user (the token's ``sub``) before any use case runs.

Answers carry the IETF rate limit fields (draft-ietf-httpapi-ratelimit-headers):
``RateLimit-Policy: "per-user";q=600;w=60`` (the quota and window in seconds) and
``RateLimit: "per-user";r=599;t=1`` (what remains, and seconds until it is all back); a
refusal is a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import math

from starlette.types import Scope

from application.ports import RateDecision, RateLimiter

POLICY = "per-user"
# Where the decision waits for the response headers (the request's ASGI state).
_STATE_KEY = "rate_limit"


class RateLimited(Exception):
    """The caller has used up their requests for now."""

    def __init__(self, decision: RateDecision) -> None:
        super().__init__("rate limit exceeded")
        self.decision = decision


async def admit(scope: Scope, limiter: RateLimiter | None, user_id: str) -> None:
    """Count this request against ``user_id``'s limit (none when the limit is off); raises
    ``RateLimited`` when it is over."""
    if limiter is None:
        return
    decision = await limiter.acquire(user_id)
    scope.setdefault("state", {})[_STATE_KEY] = decision
    if not decision.allowed:
        raise RateLimited(decision)


def _seconds(value: float) -> int:
    return max(1, math.ceil(value)) if value > 0 else 0


def retry_after(decision: RateDecision) -> int:
    """Whole seconds (at least 1) until the next request is admitted."""
    return max(1, math.ceil(decision.retry_after))


def rate_limit_headers(decision: RateDecision) -> dict[str, str]:
    headers = {
        "RateLimit-Policy": f'"{POLICY}";q={decision.limit};w={_seconds(decision.window)}',
        "RateLimit": f'"{POLICY}";r={decision.remaining};t={_seconds(decision.reset_after)}',
    }
    if not decision.allowed:
        headers["Retry-After"] = str(retry_after(decision))
    return headers


def decision_of(scope: Scope) -> RateDecision | None:
    decision = scope.get("state", {}).get(_STATE_KEY)
    return decision if isinstance(decision, RateDecision) else None
