"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """UTC wall-clock time, truncated to microseconds as every store keeps it."""

    def now(self) -> datetime:
        return datetime.now(UTC)
