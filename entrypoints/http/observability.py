"""Metrics and traces for the HTTP app (ADR 0026): each installed only when configured, so
a service without ``METRICS_TOKEN`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` runs none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from entrypoints.container import Container, storage_kind


def install_observability(app: FastAPI, container: Container) -> None:
    """Call after the app's own middleware: the request metrics then see every answer the
    app gives, and the trace's server span covers the metrics too."""
    settings = container.settings()
    metrics = container.metrics()
    if metrics is not None and settings.metrics_token is not None:
        from entrypoints.http.metrics import RequestMetricsMiddleware, add_metrics_route

        add_metrics_route(app, metrics, settings.metrics_token)
        app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
        _on_shutdown(app, metrics.close)
    exporter = container.span_exporter()
    if exporter is not None:
        from entrypoints.tracing import install_tracing

        engines = []
        if storage_kind(settings) == "sql":
            engines = [container.engine(), container.read_engine()]
        tracing = install_tracing(app, exporter, engines)
        _on_shutdown(app, tracing.close)


def _on_shutdown(app: FastAPI, action: Callable[[], None]) -> None:
    """Run ``action`` once the app's own lifespan has ended."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(app) as state:
                yield state
        finally:
            action()

    app.router.lifespan_context = lifespan
