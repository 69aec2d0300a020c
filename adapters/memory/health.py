"""The in-memory store is always ready."""

from __future__ import annotations


class AlwaysReady:
    async def check_ready(self) -> None:
        return None
