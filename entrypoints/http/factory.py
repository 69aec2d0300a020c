"""Builds the FastAPI application around a container."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from entrypoints.container import (
    Container,
    build_container,
    close_container,
    close_resource,
    close_token_verifier,
    warm_pools,
)
from entrypoints.http.docs_pages import install_docs_pages
from entrypoints.http.head import HeadMiddleware
from entrypoints.http.middleware import (
    BodySizeLimitMiddleware,
    HeaderLinesMiddleware,
    ProblemCORSMiddleware,
    RequestContextMiddleware,
)
from entrypoints.http.observability import install_observability
from entrypoints.http.openapi import install_openapi
from entrypoints.http.problems import install_problem_handlers
from entrypoints.http.request_bounds import BodyDeadlineMiddleware, HeaderLimitMiddleware
from entrypoints.http.routers import compat, health, overview, tasks
from entrypoints.logs import configure_logging
from entrypoints.maintenance import sweep_idempotency_keys
from entrypoints.mcp.http import McpEndpoint, McpRoute, metadata_router

DESCRIPTION = """
Tasks of the signed-in user. Every `/api` route needs `Authorization: Bearer <JWT>`
(Better Auth's JWT, or a development token from `todo-admin token mint`). Errors are
RFC 9457 `application/problem+json`.
"""


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build_container()
    settings = container.settings()
    # First, so that what start-up logs (the identity warnings) is formatted as configured.
    configure_logging(settings.log_level, settings.log_format)
    # Fail at start-up, not on the first request, when identity cannot be verified safely.
    verifier = container.token_verifier()
    limiter = container.rate_limiter()
    mcp_endpoint = McpEndpoint(container)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything built at start-up (modules, routes, the container) lives as long as the
        # process: moved out of the collector's sight, the full collections that requests
        # trigger no longer walk it, which otherwise shows as long-tail latency.
        gc.collect()
        gc.freeze()
        # Connections open before the first request, which would otherwise pay the
        # database's handshakes; the server listens (and /readyz answers) only after.
        await warm_pools(container)
        sweeper = asyncio.create_task(
            sweep_idempotency_keys(
                container.expire_idempotency_keys, settings.idempotency_sweep_interval
            )
        )
        try:
            async with mcp_endpoint.run():
                yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        await close_token_verifier(verifier)
        await close_resource(limiter)
        await close_container(container)

    app = FastAPI(
        title="Todo API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by install_docs_pages, from the service itself (ADR 0023).
        docs_url=None,
        redoc_url=None,
    )
    # Routes resolve their use cases on this container (entrypoints/http/dependencies.py).
    app.state.container = container
    # A trailing slash is answered by the 404 handler (problems.py), not by an absolute
    # redirect built from the Host header.
    app.router.redirect_slashes = False
    # The routers' routes go on the app's own list, as they are (each already carries its
    # router's prefix, tags, responses and dependencies): FastAPI's include_router keeps a
    # router as one entry, whose routes it matches twice on every request and whose
    # version it checks against its caches, about 9 % of a request's CPU (ADR 0030).
    for router in (health.router, overview.router, tasks.router, compat.router):
        app.router.routes.extend(router.routes)
    # The MCP tools for AI agents: the same use cases, users and tokens (entrypoints/mcp).
    app.router.routes.extend(metadata_router.routes)
    app.router.routes.append(McpRoute(mcp_endpoint))
    install_problem_handlers(app)
    install_openapi(app)
    install_docs_pages(app)
    # Added inner to outer: repeated header lines, the body limits (size, then time) and
    # the header limits run first; HEAD is served as GET inside the request ids, the log
    # and the 500 safety net, which wrap the app; CORS is outermost so every answer a
    # browser gets, a 500 included, carries its headers.
    app.add_middleware(HeaderLinesMiddleware)
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(BodyDeadlineMiddleware, seconds=settings.request_body_timeout)
    app.add_middleware(HeaderLimitMiddleware)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=settings.cors_origins,
        # Frontends may send credentials (fetch's credentials: "include") to the origins
        # listed; a wildcard allows anyone, so never with credentials.
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        # MCP clients send their protocol version, and read the 401's challenge.
        allow_headers=[
            "Authorization",
            "Content-Type",
            "If-Match",
            "If-None-Match",
            "Idempotency-Key",
            "Mcp-Protocol-Version",
        ],
        expose_headers=[
            "ETag",
            "Location",
            "Link",
            "X-Request-ID",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
            "WWW-Authenticate",
        ],
        max_age=600,
    )
    install_observability(app, container)
    return app
