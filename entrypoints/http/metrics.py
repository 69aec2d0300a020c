"""Request metrics at the HTTP edge, and ``GET /metrics`` behind ``METRICS_TOKEN`` (ADR 0026)."""

from __future__ import annotations

import hmac
import time

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.problems import UNAUTHORIZED, bearer_challenge, problem_response
from entrypoints.http.rate_limit import decision_of
from entrypoints.metrics import ServiceMetrics

METRICS_PATH = "/metrics"


class RequestMetricsMiddleware:
    """Counts each answered request and its duration by method, route template and status,
    and the per-user rate limit's refusals. Outermost but for tracing, so every answer is
    counted: CORS refusals, 413s, 500s."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path_format", None) or "<unmatched>"
            decision = decision_of(scope)
            self.metrics.request_finished(
                scope["method"],
                route,
                status,
                time.perf_counter() - started,
                rate_limited=decision is not None and not decision.allowed,
            )


def add_metrics_route(app: FastAPI, metrics: ServiceMetrics, token: str) -> None:
    """``GET /metrics``: the Prometheus exposition (every process's counts in multiprocess
    mode) for a caller presenting ``Authorization: Bearer <METRICS_TOKEN>``; 401 otherwise.
    Not in the OpenAPI document: it is the operator's, not the API's."""
    expected = f"Bearer {token}".encode()

    async def read_metrics(request: Request) -> Response:
        presented = request.headers.get("authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(presented, expected):
            return problem_response(
                request,
                UNAUTHORIZED,
                "metrics need Authorization: Bearer <METRICS_TOKEN>",
                headers={"WWW-Authenticate": bearer_challenge()},
            )
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, media_type=content_type)

    app.add_api_route(METRICS_PATH, read_metrics, methods=["GET"], include_in_schema=False)
