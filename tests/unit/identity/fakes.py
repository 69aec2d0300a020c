"""In-process stand-ins: a clock the test moves, and a JWKS endpoint behind httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.unit.identity.signing import SigningKey

JWKS_URL = "https://auth.example.test/api/auth/jwks"


class FakeClock:
    """Monotonic seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeJwksEndpoint:
    """Serves ``keys`` as a JWKS and records the URLs asked; ``status``/``body`` simulate
    trouble, and a closed ``gate`` holds every answer back until the test opens it."""

    def __init__(self, *keys: SigningKey) -> None:
        self.jwks: list[dict[str, Any]] = [key.public_jwk() for key in keys]
        self.urls: list[str] = []
        self.status = 200
        self.body: bytes | None = None
        self.headers: dict[str, str] = {}
        self.gate: asyncio.Event | None = None

    @property
    def requests(self) -> int:
        return len(self.urls)

    def publish(self, key: SigningKey) -> None:
        self.jwks.append(key.public_jwk())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self._handle))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if self.gate is not None:
            await self.gate.wait()
        body = self.body if self.body is not None else json.dumps({"keys": self.jwks}).encode()
        return httpx.Response(self.status, content=body, headers=self.headers)
