"""What metrics and tracing cost per request, in one process (ADR 0026, docs/performance.md).

The whole app in-process (httpx's ASGI transport, as bench/mcp_overhead.py), on SQLite (a
temporary file) or memory://, in four variants: nothing configured; metrics
(``METRICS_TOKEN``); tracing (``OTEL_EXPORTER_OTLP_ENDPOINT``, spans batched to an exporter
that drops them, so the cost is the instrumentation's and the SDK's, not a network's); both.
The variants' apps run side by side and their requests are interleaved one by one, so the
machine's ups and downs (it is shared) fall on all of them alike; requests per second and
the ratio to "nothing". On SQLite "both" is left out: the SQLAlchemy instrumentation traces
the engines of one app per process.

    .venv/bin/python -m bench.observability_overhead [--requests 2000]
        [--storage sqlite|memory] [--multiprocess] [--variants metrics,tracing]

``--multiprocess`` sets PROMETHEUS_MULTIPROC_DIR first: the mode every worker of
``uvicorn --workers N`` runs in (values written to files).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from dependency_injector import providers
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from adapters.identity.shared_secret import SharedSecretMinter
from adapters.sql.engine import normalize_database_url
from adapters.sql.migrate import upgrade
from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings

SECRET = "bench-secret-that-is-long-enough-0123456789abcdef"
METRICS_TOKEN = "bench-metrics-token-long-enough-0123456789"
VARIANTS = {
    "nothing": {},
    "metrics": {"metrics_token": METRICS_TOKEN},
    "tracing": {"otel_exporter_otlp_endpoint": "http://127.0.0.1:4318"},
    "both": {
        "metrics_token": METRICS_TOKEN,
        "otel_exporter_otlp_endpoint": "http://127.0.0.1:4318",
    },
}


class DroppingExporter(SpanExporter):
    """Takes the batches and keeps nothing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def build_app(database_url: str, overrides: dict[str, Any]) -> Any:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        better_auth_secret=SECRET,
        jwt_issuer="bench",
        jwt_audience="bench",
        rate_limit_per_user=0,
        max_tasks_per_user=0,
        log_level="WARNING",
        **overrides,
    )
    container = build_container(settings)
    traced = "otel_exporter_otlp_endpoint" in overrides
    container.span_exporter.override(providers.Object(DroppingExporter() if traced else None))
    return create_app(container)


async def run(database_url: str, variants: list[str], requests: int) -> dict[str, dict[str, float]]:
    """Requests per second of each operation on each variant, the variants' requests
    interleaved one by one (A B C, B C A, …) so that the machine's ups and downs fall on all."""
    token = SharedSecretMinter(SECRET, issuer="bench", audience="bench").mint("bench-user", 3600)
    headers = {"Authorization": f"Bearer {token}"}
    apps = {variant: build_app(database_url, VARIANTS[variant]) for variant in variants}
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for variant, app in apps.items():
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            clients[variant] = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://bench")
            )
        task_ids = {}
        for variant, http in clients.items():
            created = await http.post("/api/tasks", json={"title": "Buy milk"}, headers=headers)
            task_ids[variant] = created.json()["id"]
            for _ in range(50):  # warm-up, and a list of 50 to read
                await http.post("/api/tasks", json={"title": "Buy bread"}, headers=headers)
        operations = {
            "get": lambda variant: ("GET", f"/api/tasks/{task_ids[variant]}", None),
            "list 50": lambda variant: ("GET", "/api/tasks?limit=50", None),
            "create": lambda variant: ("POST", "/api/tasks", {"title": "Buy bread"}),
        }
        results: dict[str, dict[str, float]] = {variant: {} for variant in variants}
        for name, request_of in operations.items():
            spent = dict.fromkeys(variants, 0.0)
            for i in range(requests):
                shift = i % len(variants)
                for variant in variants[shift:] + variants[:shift]:
                    method, path, body = request_of(variant)
                    started = time.perf_counter()
                    response = await clients[variant].request(
                        method, path, json=body, headers=headers
                    )
                    spent[variant] += time.perf_counter() - started
                    assert response.status_code < 300, response.text
            for variant in variants:
                results[variant][name] = requests / spent[variant]
    return results


async def metrics_calls(calls: int) -> dict[str, float]:
    """Microseconds of what metrics add to one request, measured alone (no noise of the
    rest of a request): the request's two updates, and a unit of work's pass through a
    pool's gate, with and without its observer."""
    from adapters.sql.transaction import ConnectionGate
    from entrypoints.metrics import ServiceMetrics

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics = ServiceMetrics(directory)
    started = time.perf_counter()
    for _ in range(calls):
        metrics.request_finished("GET", "/api/tasks/{task_id}", 200, 0.002, rate_limited=False)
    request = (time.perf_counter() - started) / calls
    timings = {"request counted": request}
    for name, gate in (
        ("gate, no observer", ConnectionGate(10)),
        ("gate, observed", ConnectionGate(10, metrics.pool("write", 10))),
    ):
        started = time.perf_counter()
        for _ in range(calls):
            await gate.enter()
            gate.leave()
        timings[name] = (time.perf_counter() - started) / calls
    return {name: seconds * 1e6 for name, seconds in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per operation and variant")
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--multiprocess", action="store_true", help="metrics in files")
    parser.add_argument(
        "--variants", help=f"comma-separated, from {','.join(VARIANTS)} (default: all)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if args.multiprocess:  # before prometheus_client is imported (at the first app)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(Path(directory) / "metrics")
        url = "memory://"
        if args.storage == "sqlite":
            url = f"sqlite:///{Path(directory) / 'bench.db'}"
            upgrade(normalize_database_url(url))
        # One traced app per process can have its statements traced (the SQLAlchemy
        # instrumentation is a process-wide singleton): on SQL, "both" is left out.
        variants = list(VARIANTS) if args.storage == "memory" else ["nothing", "metrics", "tracing"]
        if args.variants:
            variants = ["nothing", *(v for v in args.variants.split(",") if v != "nothing")]
        rates = asyncio.run(run(url, variants, args.requests))
        micro = asyncio.run(metrics_calls(100_000))
    mode = "multiprocess (files)" if args.multiprocess else "single process (memory)"
    print(
        f"storage {args.storage}, metrics {mode}, {args.requests} sequential requests per"
        " operation and variant, interleaved, in-process; requests/s (ratio to nothing)"
    )
    operations = list(rates["nothing"])
    print("| variant | " + " | ".join(operations) + " |")
    print("|---" * (len(operations) + 1) + "|")
    for variant, by_op in rates.items():
        cells = [f"{by_op[op]:.0f} ({by_op[op] / rates['nothing'][op]:.2f})" for op in operations]
        print(f"| {variant} | " + " | ".join(cells) + " |")
    print()
    print("metrics alone, µs per call: " + ", ".join(f"{k} {v:.2f}" for k, v in micro.items()))


if __name__ == "__main__":
    main()
