"""The HTTP/1.1 protocol the documented server command runs (``uvicorn … --http
entrypoints.http.server:BoundedH11Protocol``): uvicorn's h11 protocol with the two bounds
uvicorn has no option for.

* The header block: at most ``MAX_HEADER_BYTES`` are buffered (h11 refuses more with a
  400 before parsing any of it); httptools, uvicorn's default, has no such bound.
* The time to send it: a connection gets ``REQUEST_HEADER_TIMEOUT`` seconds, from when it
  opens or its previous response ended, to deliver a request's complete headers, then a
  408 and the connection is closed. uvicorn's own keep-alive timer restarts on every
  byte received, so a client trickling a header line every few seconds would hold the
  connection, and one sending nothing at all would too.

The time to send the body is the app's (request_bounds.BodyDeadlineMiddleware), the
number of connections uvicorn's (``--limit-concurrency``).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from entrypoints.http.limits import MAX_HEADER_BYTES
from entrypoints.settings import Settings

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 33\r\nconnection: close\r\n\r\nthe request headers came too late"
)


@cache
def header_timeout() -> float:
    """REQUEST_HEADER_TIMEOUT, read once per process (as the app reads its settings)."""
    return Settings().request_header_timeout


class BoundedH11Protocol(H11Protocol):
    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        if config.h11_max_incomplete_event_size is None:
            self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._headers_arrived()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Waiting for the next request on this connection (a pipelined one may be in).
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._headers_arrived()
        self._header_deadline = self.loop.call_later(header_timeout(), self._headers_too_slow)

    def _headers_arrived(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:
            # No response of ours is under way on this connection: say why it ends.
            self.transport.write(_TIMED_OUT)
        self.transport.close()
