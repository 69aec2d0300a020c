"""OpenTelemetry traces (ADR 0026), only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

A server span per request (opentelemetry-instrumentation-asgi), named by its route template
and carrying the request id, with a client span per SQL statement
(opentelemetry-instrumentation-sqlalchemy) as its children. What a span may say is narrowed
here, because the instrumentations record more than this service lets out:

- the query string (search terms, cursors): its values are replaced by ``REDACTED`` in
  ``http.url`` / ``url.full`` / ``url.query``;
- request headers named by ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST``:
  ``Authorization`` and cookies are always redacted;
- statements: the SQL text with its placeholders (``%(title)s``), never parameter values
  (the instrumentation records none; sqlcommenter stays off);
- error descriptions, exception messages and stack traces (a driver's message can quote a
  row): dropped by ``RedactingSpanProcessor``, the exception's type kept.

Standard ``OTEL_*`` variables (``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_TRACES_SAMPLER``…) are read by the SDK.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, Tracer
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
    get_custom_headers,
    parse_excluded_urls,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.sql.transaction import trace_driver_queries

REQUEST_ID_ATTRIBUTE = "request_id"  # the access log's field name
REDACTED = "REDACTED"
SERVICE_NAME = "todo-api"
# Never in a span, whatever OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* ask for.
SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie"]
_URL_ATTRIBUTES = ("http.url", "url.full")
# Probes and scrapes arrive every few seconds and say nothing about users' requests: not
# traced, unless OTEL_PYTHON_EXCLUDED_URLS (or …_ASGI_…) names other URLs (regexes).
UNTRACED_PATHS = r"/healthz$,/readyz$,/metrics$"
_TRACES_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def otlp_span_exporter(endpoint: str) -> SpanExporter:
    """OTLP over HTTP (protobuf) to ``endpoint`` + ``/v1/traces``, as the specification
    derives it from OTEL_EXPORTER_OTLP_ENDPOINT (here possibly read from .env), unless
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names the traces endpoint itself."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    if os.environ.get(_TRACES_ENDPOINT_VARIABLE):
        return OTLPSpanExporter()
    return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")


class RedactingSpanProcessor(SpanProcessor):
    """Hands spans to ``inner`` without error descriptions or exception messages (nor the
    stack traces, which end with them): they may quote data (a constraint violation's
    message lists the row). The exception's type stays."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: SdkSpan, parent_context: Any = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(redacted(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def redacted(span: ReadableSpan) -> ReadableSpan:
    events = tuple(_without_message(event) for event in span.events)
    if span.status.description is None and events == tuple(span.events):
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


# A stack trace ends with the exception's message: it goes too.
_MESSAGE_ATTRIBUTES = frozenset({"exception.message", "exception.stacktrace"})


def _without_message(event: Event) -> Event:
    attributes = event.attributes or {}
    if _MESSAGE_ATTRIBUTES.isdisjoint(attributes):
        return event
    kept = {key: value for key, value in attributes.items() if key not in _MESSAGE_ATTRIBUTES}
    return Event(event.name, kept, event.timestamp)


def redact_query(query: str) -> str:
    """``q=milk&limit=5`` → ``q=REDACTED&limit=REDACTED``: which parameters, not what."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, REDACTED) for name, _ in pairs], safe=REDACTED)


def _redact_request(span: Span, scope: dict[str, Any]) -> None:
    """The server span's request attributes, query values replaced (server_request_hook)."""
    if not span.is_recording() or not scope.get("query_string"):
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _URL_ATTRIBUTES:
        url = attributes.get(name)
        if isinstance(url, str):
            parts = urlsplit(url)
            span.set_attribute(name, urlunsplit(parts._replace(query=redact_query(parts.query))))
    if "url.query" in attributes:
        span.set_attribute("url.query", redact_query(str(attributes["url.query"])))


class RouteSpanMiddleware:
    """Inside the tracing middleware: once the answer starts (routing done, request id
    chosen), names the server span by its route template and gives it the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()

        async def send_annotating(message: Message) -> None:
            if message["type"] == "http.response.start" and span.is_recording():
                route = getattr(scope.get("route"), "path_format", None)
                if route is not None:
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
                for name, value in message.get("headers", ()):
                    if name == b"x-request-id":
                        span.set_attribute(REQUEST_ID_ATTRIBUTE, value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, send_annotating)


def _span_name(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The name until the route is known (RouteSpanMiddleware): the method, never the path."""
    return str(scope.get("method", "HTTP")), {}


class Tracing:
    """The tracer provider of one app and what it instrumented; ``close`` flushes and
    undoes both."""

    def __init__(self, exporter: SpanExporter) -> None:
        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": SERVICE_NAME}
        self.provider = TracerProvider(resource=Resource.create(attributes))
        self.provider.add_span_processor(RedactingSpanProcessor(BatchSpanProcessor(exporter)))
        self._sqlalchemy: SQLAlchemyInstrumentor | None = None
        self._engines: list[Any] = []

    def middleware_options(self) -> dict[str, Any]:
        sanitized = get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS)
        excluded = os.environ.get(
            "OTEL_PYTHON_ASGI_EXCLUDED_URLS", os.environ.get("OTEL_PYTHON_EXCLUDED_URLS")
        )
        return {
            "tracer_provider": self.provider,
            "excluded_urls": parse_excluded_urls(UNTRACED_PATHS if excluded is None else excluded),
            "default_span_details": _span_name,
            "server_request_hook": _redact_request,
            "http_capture_headers_sanitize_fields": [*sanitized, *SECRET_HEADERS],
            # One span per request, not three: the ASGI send/receive events are noise here.
            "exclude_spans": ["receive", "send"],
        }

    def instrument_engines(self, engines: list[Any]) -> None:
        """Statements on ``engines`` become spans. The instrumentor is one per process: a
        second app traced at the same time (only ever in tests or benchmarks) gets no
        statement spans until the first has shut down."""
        if not engines:
            return
        instrumentor = SQLAlchemyInstrumentor()
        instrumentor.instrument(
            engines=[engine.sync_engine for engine in engines],
            tracer_provider=self.provider,
            enable_commenter=False,
            # It declares SQLAlchemy < 2.1 and would do nothing on 2.1, whose engine events
            # it listens to are unchanged (tests/e2e/test_tracing.py checks its spans).
            skip_dep_check=True,
        )
        self._sqlalchemy = instrumentor
        # The staged writes' one query (ADR 0028) and the reads on PostgreSQL (ADR 0029) go
        # to psycopg directly, past the events the instrumentor listens to: they get spans
        # of the same shape from here.
        tracer = self.provider.get_tracer(__name__)
        for engine in engines:
            trace_driver_queries(engine, DriverQuerySpans(tracer, engine.url.database))
        self._engines = list(engines)

    def close(self) -> None:
        for engine in self._engines:
            trace_driver_queries(engine, None)
        self._engines = []
        if self._sqlalchemy is not None:
            self._sqlalchemy.uninstrument()
            self._sqlalchemy = None
        self.provider.shutdown()


class DriverQuerySpans:
    """A client span per query sent to the driver directly, named and described as the SQLAlchemy
    instrumentation describes a statement: its statements with placeholders, never values."""

    def __init__(self, tracer: Tracer, database: str | None) -> None:
        self._tracer = tracer
        self._database = database

    def span(self, statement: str) -> AbstractContextManager[object]:
        verb = statement.split(None, 1)[0] if statement.strip() else "SQL"
        name = f"{verb} {self._database}" if self._database else verb
        attributes = {"db.system": "postgresql", "db.statement": statement}
        if self._database:
            attributes["db.name"] = self._database
        return self._tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes)


def install_tracing(app: Any, exporter: SpanExporter, engines: list[Any]) -> Tracing:
    """Trace ``app``'s requests and the statements on ``engines``, exported by ``exporter``."""
    tracing = Tracing(exporter)
    tracing.instrument_engines(engines)
    app.add_middleware(RouteSpanMiddleware)
    app.add_middleware(OpenTelemetryMiddleware, **tracing.middleware_options())
    return tracing
