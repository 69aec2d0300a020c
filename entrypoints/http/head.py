"""HEAD is GET without the content (RFC 9110 §9.3.2), for every GET route at once.

FastAPI's routes, unlike Starlette's, do not add HEAD to GET. Rather than register HEAD on
each route (and have OpenAPI list every read twice, as a HEAD operation of the same id),
one middleware routes a HEAD request as a GET wherever a GET route serves its path, and
drops the content of every answer to a HEAD. The status and headers are the GET's, the
``Content-Length`` included: it says how long the content a GET gets would be. A path that
no GET route serves sees the HEAD itself (a 405 naming the methods that are, or a 404).
It runs inside the request id, the access log and the 500 safety net, which see the HEAD;
a 500 written by that safety net loses its content to the server instead (h11 sends none
for a HEAD).
"""

from __future__ import annotations

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def without_content(message: Message) -> None:
            nonlocal ended
            if message["type"] != "http.response.body":
                await send(message)
            elif not ended:
                # The response ends with its first body message: a HEAD has no content,
                # and a streamed GET should not hold the connection for nothing.
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        # Changed in place and put back, so that the layers outside (the access log)
        # see the HEAD and the route the router found.
        if _served_by_get(scope):
            scope["method"] = "GET"
        try:
            await self.app(scope, receive, without_content)
        finally:
            scope["method"] = "HEAD"


def _served_by_get(scope: Scope) -> bool:
    as_get = {**scope, "method": "GET"}
    return any(route.matches(as_get)[0] is Match.FULL for route in scope["app"].router.routes)
