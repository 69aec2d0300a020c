"""Bounds on what a client may make the app wait for or hold, where the server does not
set them: how many header fields and bytes a request has, and how long its body may take
to arrive. (The documented server also bounds the header block's size, the time to send
it and the connections per process: entrypoints/http/server.py, docs/operations.md.)"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.limits import MAX_HEADER_BYTES, MAX_HEADER_COUNT, MAX_HEADER_KIB
from entrypoints.http.problems import HEADERS_TOO_LARGE, REQUEST_TIMEOUT, problem_response


class HeaderLimitMiddleware:
    """Refuses a request with more than ``MAX_HEADER_COUNT`` header fields, or more than
    ``MAX_HEADER_BYTES`` of them, with a 431 problem, before anything reads them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers", [])
            size = sum(len(name) + len(value) for name, value in headers)
            if len(headers) > MAX_HEADER_COUNT or size > MAX_HEADER_BYTES:
                detail = (
                    f"send at most {MAX_HEADER_COUNT} header fields and {MAX_HEADER_KIB} KiB"
                    f" of them (this request has {len(headers)}, {size:,} bytes)"
                )
                response = problem_response(
                    Request(scope), HEADERS_TOO_LARGE, detail, headers={"Connection": "close"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooSlow(StarletteHTTPException):
    """Raised from ``receive``; an HTTPException so that FastAPI's body parsing hands it to
    the problem handlers (a 408 problem) instead of calling it a parse error."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            408,
            f"the request body did not arrive within {seconds:g} seconds",
            headers={"Connection": "close"},
        )


class BodyDeadlineMiddleware:
    """Gives a request ``seconds`` from the moment its headers are in to deliver its whole
    body; a client trickling it a byte at a time gets a 408 problem and its connection is
    closed, instead of holding a request (and what it waits for) open indefinitely."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_done = False
        response_started = False

        async def bounded_receive() -> Message:
            nonlocal body_done
            if body_done:
                # After the body, receive only waits for a disconnect: not bounded here.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _BodyTooSlow as error:
            if response_started:
                raise
            response = problem_response(
                Request(scope), REQUEST_TIMEOUT, error.detail, headers={"Connection": "close"}
            )
            await response(scope, receive, send)
