"""OpenTelemetry traces (ADR 0026): with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, a server span
per request (route template, request id) with the SQL statements as its children, and no
task content, search term or token anywhere in a span; without it, nothing at all."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from entrypoints.container import build_container
from entrypoints.tracing import RedactingSpanProcessor, redact_query
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT
from tests.http import app_client, make_settings, token_for

ENDPOINT = "http://127.0.0.1:4318"
TITLE = "title-7d2f-only-the-database-may-know"
DESCRIPTION = "description-91ac-only-the-database-may-know"
SEARCH = "search-term-3be0"


@pytest.fixture(params=["sqlite_url", "postgres_url"], ids=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


async def traced(database_url: str, requests: Any) -> list[ReadableSpan]:
    """Run ``requests(client)`` on an app tracing to memory; the spans it exported."""
    exporter = InMemorySpanExporter()
    container = build_container(make_settings(database_url, otel_exporter_otlp_endpoint=ENDPOINT))
    container.span_exporter.override(providers.Object(exporter))
    async with app_client(container) as client:
        await requests(client)
    # The app's shutdown flushed the batch processor.
    return list(exporter.get_finished_spans())


def every_text(span: ReadableSpan) -> Iterator[str]:
    """Everything a span tells: name, attributes, events, status."""
    yield span.name
    for key, value in (span.attributes or {}).items():
        yield f"{key}={value}"
    for event in span.events:
        yield event.name
        yield from (f"{key}={value}" for key, value in (event.attributes or {}).items())
    yield span.status.description or ""


async def test_a_request_is_a_server_span_with_its_statements_as_children(sql_url: str) -> None:
    user = f"user-{uuid.uuid4()}"
    headers = {"Authorization": f"Bearer {token_for(user)}"}

    async def requests(client: Any) -> None:
        created = await client.post("/api/tasks", json={"title": TITLE}, headers=headers)
        assert created.status_code == 201
        got = await client.get(
            f"/api/tasks/{created.json()['id']}",
            headers={**headers, "X-Request-ID": "trace-me-42"},
        )
        assert got.status_code == 200

    spans = await traced(sql_url, requests)
    servers = [span for span in spans if span.kind == SpanKind.SERVER]
    assert [span.name for span in servers] == ["POST /api/tasks", "GET /api/tasks/{task_id}"]
    get = servers[1]
    assert get.attributes is not None
    assert get.attributes["http.route"] == "/api/tasks/{task_id}"
    assert get.attributes["request_id"] == "trace-me-42"
    assert get.attributes["http.status_code"] == 200
    assert isinstance(servers[0].attributes["request_id"], str)  # type: ignore[index]
    for server in servers:
        children = [
            span
            for span in spans
            if span.parent is not None and span.parent.span_id == server.context.span_id
        ]
        statements = [span for span in children if "db.statement" in (span.attributes or {})]
        assert statements, [span.name for span in children]
        for statement in statements:
            assert statement.kind == SpanKind.CLIENT
            assert statement.context.trace_id == server.context.trace_id
    read = [span for span in spans if span.parent and span.parent.span_id == get.context.span_id]
    assert any(span.name.startswith("SELECT") for span in read)


async def test_probes_are_not_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_PYTHON_EXCLUDED_URLS", raising=False)
    monkeypatch.delenv("OTEL_PYTHON_ASGI_EXCLUDED_URLS", raising=False)

    async def requests(client: Any) -> None:
        await client.get("/healthz")
        await client.get("/readyz")
        await client.get("/api/tasks", headers={"Authorization": f"Bearer {token_for('a')}"})

    spans = await traced("memory://", requests)
    assert [span.name for span in spans if span.kind == SpanKind.SERVER] == ["GET /api/tasks"]


async def test_no_task_content_search_term_or_token_in_any_span(
    sql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even an operator asking for every request header gets no Authorization value.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", ".*")
    token = token_for(f"user-{uuid.uuid4()}")
    headers = {"Authorization": f"Bearer {token}"}

    async def requests(client: Any) -> None:
        body = {"title": TITLE, "description": DESCRIPTION, "tags": [TITLE[:40]]}
        created = await client.post("/api/tasks", json=body, headers=headers)
        task_id = created.json()["id"]
        await client.get(f"/api/tasks?q={SEARCH}&limit=5", headers=headers)
        await client.get("/api/tasks", params={"q": TITLE, "tag": TITLE[:40]}, headers=headers)
        await client.patch(f"/api/tasks/{task_id}", json={"title": TITLE + "!"}, headers=headers)
        await client.get(f"/api/tasks?cursor={SEARCH}", headers=headers)  # a 422
        await client.post("/api/tasks", json={"title": TITLE, "user_id": "x"}, headers=headers)

    spans = await traced(sql_url, requests)
    assert len([span for span in spans if span.kind == SpanKind.SERVER]) == 6
    assert any("db.statement" in (span.attributes or {}) for span in spans)
    for span in spans:
        for text in every_text(span):
            for secret in (TITLE, TITLE[:40], DESCRIPTION, SEARCH, token):
                assert secret not in text, (span.name, text)
    lists = [span for span in spans if "q=REDACTED" in str((span.attributes or {}).get("http.url"))]
    assert lists, "the query's parameter names stay, their values do not"
    captured = [
        span.attributes["http.request.header.authorization"]
        for span in spans
        if span.attributes and "http.request.header.authorization" in span.attributes
    ]
    assert captured
    assert all(value == ("[REDACTED]",) for value in captured)


def test_error_messages_and_descriptions_are_dropped_before_export() -> None:
    """A driver's message can quote the row (a check violation's "Failing row contains")."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(RedactingSpanProcessor(SimpleSpanProcessor(exporter)))
    with provider.get_tracer("test").start_as_current_span("INSERT") as span:
        span.record_exception(ValueError(f"Failing row contains ({TITLE})"))
        span.set_status(StatusCode.ERROR, f"CheckViolation: Failing row contains ({TITLE})")
    (exported,) = exporter.get_finished_spans()
    assert exported.status.status_code == StatusCode.ERROR
    assert exported.events[0].attributes["exception.type"] == "ValueError"  # type: ignore[index]
    assert all(TITLE not in text for text in every_text(exported))


def test_query_values_are_redacted_and_names_kept() -> None:
    assert redact_query("q=milk&limit=5&cursor=abc") == "q=REDACTED&limit=REDACTED&cursor=REDACTED"
    assert redact_query("flag") == "flag=REDACTED"


def test_without_settings_neither_metrics_nor_tracing_is_loaded() -> None:
    """No OTEL_EXPORTER_OTLP_ENDPOINT, no METRICS_TOKEN: the app imports neither the
    OpenTelemetry SDK nor prometheus_client and adds no middleware of theirs (the cost is the
    two ``if``s in install_observability), and no tracer provider is set. (FastAPI imports
    the OpenTelemetry API, and redis-py the SDK's metrics module, when installed: neither
    does anything unless configured.)"""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "METRICS_"))},
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": "memory://",
        "METRICS_TOKEN": "",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }
    script = (
        "import sys\n"
        "from entrypoints.http.app import app\n"
        "from opentelemetry import trace\n"
        "assert type(trace.get_tracer_provider()).__name__ == 'ProxyTracerProvider'\n"
        "loaded = sorted({'.'.join(m.split('.')[:3]) for m in sys.modules if m.startswith("
        "('opentelemetry.sdk.trace', 'opentelemetry.instrumentation', 'opentelemetry.exporter',"
        " 'prometheus_client'))})\n"
        "names = [m.cls.__name__ for m in app.user_middleware]\n"
        "print(loaded, names)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    loaded, _, middleware = result.stdout.strip().partition("] ")
    assert loaded == "[", result.stdout
    assert "OpenTelemetryMiddleware" not in middleware
    assert "RequestMetricsMiddleware" not in middleware
    assert "RequestContextMiddleware" in middleware  # the app's own are there
