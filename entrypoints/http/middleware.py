"""Pure ASGI middleware: request ids, access logs, 500s, and the body size limit."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.limits import MAX_BODY_BYTES
from entrypoints.http.problems import (
    CORS_REJECTED,
    INTERNAL,
    MALFORMED,
    PROBLEM_JSON,
    TOO_LARGE,
    problem_body,
    problem_response,
)
from entrypoints.http.rate_limit import decision_of, rate_limit_headers

access_logger = logging.getLogger("todo_api.access")
error_logger = logging.getLogger("todo_api.errors")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContextMiddleware:
    """Gives each request an id (echoed as ``X-Request-ID``), logs one line per request,
    and answers unexpected exceptions with a 500 problem carrying that id — never a
    traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers += _rate_limit_fields(scope, headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_logger.exception(
                "unhandled error on %s %s [request_id=%s]",
                scope["method"],
                scope["path"],
                request_id,
            )
            if not response_started:
                response = problem_response(
                    Request(scope),
                    INTERNAL,
                    "something went wrong on our side; quote the request_id if you report it",
                )
                await response(scope, receive, send_with_id)
        finally:
            _log_access(scope, status, time.perf_counter() - started, request_id)


def _rate_limit_fields(
    scope: Scope, headers: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """The caller's rate limit state (entrypoints/http/rate_limit.py) on every answer to an
    authenticated request, unless the answer (a 429) carries it already."""
    decision = decision_of(scope)
    if decision is None or any(name.lower() == b"ratelimit" for name, _ in headers):
        return []
    return [
        (name.lower().encode(), value.encode())
        for name, value in rate_limit_headers(decision).items()
    ]


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID.fullmatch(text) else None
    return None


def _log_access(scope: Scope, status: int, seconds: float, request_id: str) -> None:
    if not access_logger.isEnabledFor(logging.INFO):
        return
    route = scope.get("route")
    extra: dict[str, Any] = {
        "request_id": request_id,
        "method": scope.get("method"),
        # The template without convertors ("{task_id}", not "{task_id:uuid}").
        "route": getattr(route, "path_format", None) or "<unmatched>",
        "status": status,
        "latency_ms": round(seconds * 1000, 2),
        "user_id": scope.get("state", {}).get("user_id"),
    }
    access_logger.info(
        "%s %s %s %.1fms", extra["method"], extra["route"], status, extra["latency_ms"], extra=extra
    )


def _too_large_detail(max_bytes: int) -> str:
    return f"the request body must be at most {max_bytes // 1024} KiB"


class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing lets it through
    to the problem handlers instead of calling it a parse error."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large_detail(max_bytes))


class BodySizeLimitMiddleware:
    """Refuses bodies over ``max_bytes`` with 413, by ``Content-Length`` up front or by
    counting a streamed body, before any of it reaches JSON parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await problem_response(Request(scope), MALFORMED, "invalid Content-Length")(
                scope, receive, send
            )
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        if declared is not None or not _is_chunked(scope):
            # The server delivers at most Content-Length bytes, and no body without either
            # header: only a chunked body needs counting.
            await self.app(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = _too_large_detail(self.max_bytes)
        await problem_response(Request(scope), TOO_LARGE, detail, headers={"Connection": "close"})(
            scope, receive, send
        )


# Headers the service reads one value of: a second line would be silently dropped (which one
# a proxy in front checked, and which one we used, could differ), so a repeat is refused.
SINGLE_VALUED_HEADERS = frozenset(
    {b"authorization", b"content-type", b"content-length", b"idempotency-key"}
)
# Lists (RFC 9110 §5.3): several lines mean their values joined by commas.
_LIST_HEADERS = frozenset({b"if-match", b"if-none-match"})


class HeaderLinesMiddleware:
    """Refuses a request that repeats a single-valued header (400), and joins the lines of a
    list header into one (``If-Match: "1"`` and ``If-Match: "2"`` is ``"1", "2"``), so what
    the routes read is what was sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen: set[bytes] = set()
        lists: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            if name in SINGLE_VALUED_HEADERS:
                if name in seen:
                    detail = f"the {name.decode()} header must be sent at most once"
                    await problem_response(Request(scope), MALFORMED, detail)(scope, receive, send)
                    return
                seen.add(name)
            elif name in _LIST_HEADERS:
                lists.setdefault(name, []).append(value)
        repeated = {name: values for name, values in lists.items() if len(values) > 1}
        if repeated:
            headers = [(n, v) for n, v in scope["headers"] if n not in repeated]
            headers += [(name, b", ".join(values)) for name, values in repeated.items()]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _is_chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", []))


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when unreadable."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else -1
    return None


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as a problem like every error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        body = problem_body(CORS_REJECTED, f"{reason} (allowed origins come from CORS_ORIGINS)")
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in ("content-length", "content-type")
        }
        return JSONResponse(body, status_code=400, headers=headers, media_type=PROBLEM_JSON)
