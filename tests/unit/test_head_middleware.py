"""HeadMiddleware at the ASGI level: what a server is sent for a HEAD."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message

from entrypoints.http.head import HeadMiddleware


async def chunks() -> AsyncIterator[bytes]:
    for chunk in (b"one", b"two", b"three"):
        yield chunk


async def streamed(_request: Request) -> Response:
    return StreamingResponse(chunks(), media_type="text/plain")


async def method_seen(request: Request) -> Response:
    return Response(request.method, media_type="text/plain")


APP = Starlette(
    routes=[Route("/streamed", streamed), Route("/method", method_seen, methods=["GET", "POST"])],
    middleware=[Middleware(HeadMiddleware)],
)


async def call(method: str, path: str) -> list[Message]:
    sent: list[Message] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]
    connection_open = asyncio.Event()  # never set: the client stays until the response ends

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await connection_open.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await APP(scope, receive, send)
    assert scope["method"] == method  # put back for the layers outside
    return sent


async def test_a_streamed_answer_to_a_head_ends_with_its_headers() -> None:
    start, *bodies = await call("HEAD", "/streamed")
    assert (start["type"], start["status"]) == ("http.response.start", 200)
    assert bodies == [{"type": "http.response.body", "body": b"", "more_body": False}]
    assert b"".join(m.get("body", b"") for m in await call("GET", "/streamed")) == b"onetwothree"


async def test_a_head_is_routed_as_the_get_and_keeps_its_content_length() -> None:
    start, *bodies = await call("HEAD", "/method")
    assert (b"content-length", b"3") in start["headers"]  # len(b"GET")
    assert bodies == [{"type": "http.response.body", "body": b"", "more_body": False}]
