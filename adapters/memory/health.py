"""The in-memory store is always ready."""

from __future__ import annotations


class AlwaysReady:
    async def is_ready(self) -> bool:
        return True
