"""Prometheus metrics (ADR 0026): ``GET /metrics`` behind ``METRICS_TOKEN``, requests by route
template, method and status, the pools, the token cache and the rate limit's refusals, and
one answer for all the workers of ``uvicorn --workers 2``."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from adapters.sql.transaction import ConnectionGate
from entrypoints.cli.runtime import load_container
from entrypoints.container import build_container
from entrypoints.metrics import ServiceMetrics, retire_dead_processes
from entrypoints.metrics_directory import (
    UnusableMetricsDirectory,
    _make_private_directory,
    _remove_dead_servers_directories,
    process_alive,
)
from tests.e2e.helpers import NEUTRAL_ENVIRONMENT, assert_problem, free_port
from tests.http import app_client, auth, make_settings

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
UVICORN = str(Path(sys.executable).with_name("uvicorn"))

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(exposition: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@pytest.fixture
async def metered() -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_settings("memory://", metrics_token=METRICS_TOKEN)) as client:
        yield client


async def test_no_metrics_without_a_token() -> None:
    settings = make_settings("memory://")
    assert build_container(settings).metrics() is None
    async with app_client(settings) as client:
        response = await client.get("/metrics", headers=SCRAPER)
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}],
    ids=["none", "wrong", "not-bearer"],
)
async def test_metrics_need_the_token(metered: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await metered.get("/metrics", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert "http_requests_total" not in response.text


def test_the_cli_counts_nothing(cli_env: pytest.MonkeyPatch) -> None:
    """A command shares the server's environment, maybe its PROMETHEUS_MULTIPROC_DIR, but
    serves no /metrics: its pools must not show in the server's figures."""
    cli_env.setenv("METRICS_TOKEN", METRICS_TOKEN)
    assert build_container().metrics() is not None
    assert load_container().metrics() is None


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="metrics_token"):
        make_settings("memory://", metrics_token="too-short")


async def test_metrics_are_not_in_the_api_document(metered: httpx.AsyncClient) -> None:
    document = (await metered.get("/openapi.json")).json()
    assert "/metrics" not in document["paths"]


async def test_requests_are_counted_by_route_template_method_and_status(
    metered: httpx.AsyncClient,
) -> None:
    headers = auth("alice")
    created = await metered.post("/api/tasks", json={"title": "metered"}, headers=headers)
    task_id = created.json()["id"]
    await metered.get(f"/api/tasks/{task_id}", headers=headers)
    await metered.get(f"/api/tasks/{uuid.uuid4()}", headers=headers)
    await metered.get(f"/api/tasks/{uuid.uuid4()}", headers=headers)
    await metered.get("/nowhere/at/all")
    await metered.request("BREW", "/api/tasks")
    scraped = await scrape(metered)

    def count(method: str, route: str, status: str) -> float:
        labels = {"method": method, "route": route, "status": status}
        requests = value(scraped, "http_requests_total", **labels)
        assert value(scraped, "http_request_duration_seconds_count", **labels) == requests
        return requests

    assert count("POST", "/api/tasks", "201") == 1
    assert count("GET", "/api/tasks/{task_id}", "200") == 1
    assert count("GET", "/api/tasks/{task_id}", "404") == 2
    assert count("GET", "<unmatched>", "404") == 1
    assert count("other", "/api/tasks", "405") == 1
    # Paths never become labels: no task id, no unknown path.
    labels = {value for (_, pairs) in scraped for _, value in pairs}
    assert task_id not in labels
    assert "/nowhere/at/all" not in labels
    # The histogram's buckets add up to its count.
    route = {"method": "GET", "route": "/api/tasks/{task_id}", "status": "404"}
    assert value(scraped, "http_request_duration_seconds_bucket", **route, le="+Inf") == 2


async def test_token_cache_hits_and_misses(metered: httpx.AsyncClient) -> None:
    first, second = auth("alice"), auth("bob")
    for headers in (first, first, first, second):
        assert (await metered.get("/api/tasks", headers=headers)).status_code == 200
    scraped = await scrape(metered)
    assert value(scraped, "token_cache_lookups_total", result="miss") == 2
    assert value(scraped, "token_cache_lookups_total", result="hit") == 2


async def test_rate_limit_refusals_are_counted() -> None:
    settings = make_settings("memory://", metrics_token=METRICS_TOKEN, rate_limit_per_user=2)
    async with app_client(settings) as client:
        statuses = [
            (await client.get("/api/tasks", headers=auth("alice"))).status_code for _ in range(4)
        ]
        scraped = await scrape(client)
    assert statuses == [200, 200, 429, 429]
    assert value(scraped, "rate_limit_refusals_total") == 2
    refused = {"method": "GET", "route": "/api/tasks", "status": "429"}
    assert value(scraped, "http_requests_total", **refused) == 2


async def test_pool_use_per_unit_of_work(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, metrics_token=METRICS_TOKEN, db_pool_size=3)
    async with app_client(settings) as client:
        headers = auth(f"user-{uuid.uuid4()}")
        created = await client.post("/api/tasks", json={"title": "pooled"}, headers=headers)
        before = await scrape(client)
        for _ in range(3):
            await client.get(f"/api/tasks/{created.json()['id']}", headers=headers)
        await client.patch(
            f"/api/tasks/{created.json()['id']}", json={"completed": True}, headers=headers
        )
        after = await scrape(client)
    for pool in ("read", "write"):
        assert value(after, "db_pool_connections_max", pool=pool) == 3
        assert value(after, "db_pool_connections_in_use", pool=pool) == 0
        assert value(after, "db_pool_waiting", pool=pool) == 0

    def acquisitions(scraped: Samples, pool: str) -> float:
        return value(scraped, "db_pool_wait_seconds_count", pool=pool)

    assert acquisitions(after, "read") - acquisitions(before, "read") == 3
    assert acquisitions(after, "write") - acquisitions(before, "write") == 1


async def test_the_gate_reports_waiting_and_holding_units_of_work() -> None:
    metrics = ServiceMetrics()
    gate = ConnectionGate(1, metrics.pool("write", 1))

    def gauges() -> tuple[float, float, float]:
        scraped = samples(metrics.exposition(None)[0].decode())
        return (
            value(scraped, "db_pool_connections_in_use", pool="write"),
            value(scraped, "db_pool_waiting", pool="write"),
            value(scraped, "db_pool_wait_seconds_count", pool="write"),
        )

    await gate.enter()
    assert gauges() == (1, 0, 1)
    second = asyncio.create_task(gate.enter())
    third = asyncio.create_task(gate.enter())
    await asyncio.sleep(0)
    assert gauges() == (1, 2, 1)
    third.cancel()  # given up (its operation ran out of time): no longer waiting
    with pytest.raises(asyncio.CancelledError):
        await third
    assert gauges() == (1, 1, 2)
    gate.leave()
    await second
    assert gauges() == (1, 0, 3)
    gate.leave()
    assert gauges() == (0, 0, 3)


# --- several worker processes -----------------------------------------------------------


def _healthz_counts_per_process(directory: str) -> dict[str, float]:
    """Per worker pid, the /healthz requests it counted (read from its own file)."""
    counts: dict[str, float] = {}
    for path in glob.glob(os.path.join(directory, "counter_*.db")):
        pid = Path(path).stem.split("_")[1]
        for key, count, _timestamp, _position in MmapedDict.read_all_values_from_file(path):
            _metric, name, labels, _help = json.loads(key)
            if name == "http_requests_total" and labels.get("route") == "/healthz":
                counts[pid] = counts.get(pid, 0.0) + count
    return counts


def test_two_workers_answer_with_the_counts_of_both(tmp_path: Path) -> None:
    """Every scrape, whichever worker answers it, counts the requests both served; with no
    PROMETHEUS_MULTIPROC_DIR set, the workers find a directory of their own (under TMPDIR)."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        **NEUTRAL_ENVIRONMENT,
        "DATABASE_URL": "memory://",
        "METRICS_TOKEN": METRICS_TOKEN,
        "TMPDIR": str(tmp_path),
    }
    command = [UVICORN, "entrypoints.http.app:app", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(
        [*command, "--log-level", "warning"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        directory = str(tmp_path / f"todo-api-metrics-{server.pid}")
        deadline = time.monotonic() + 90
        served = 0
        # Fresh connections until both workers have served some (the kernel picks which).
        while len(_healthz_counts_per_process(directory)) < 2 or served < 20:
            assert time.monotonic() < deadline, _healthz_counts_per_process(directory)
            try:
                response = httpx.get(f"{base}/healthz", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            assert response.status_code == 200
            served += 1
        # A request is counted once its answer is sent: the last one's count may land just
        # after the client has read it.
        settled = time.monotonic() + 10
        while sum(_healthz_counts_per_process(directory).values()) < served:
            assert time.monotonic() < settled, _healthz_counts_per_process(directory)
            time.sleep(0.05)
        assert sum(_healthz_counts_per_process(directory).values()) == served
        for _ in range(6):  # answered by either worker
            scraped = samples(httpx.get(f"{base}/metrics", headers=SCRAPER, timeout=5).text)
            healthz = {"method": "GET", "route": "/healthz", "status": "200"}
            assert value(scraped, "http_requests_total", **healthz) == served
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output


# --- the workers' directory -------------------------------------------------------------


def _dead_pid() -> int:
    pid = 4_000_000
    while process_alive(pid):
        pid += 1
    return pid


def test_a_directory_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "todo-api-metrics-1"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(UnusableMetricsDirectory, match="not a private directory"):
        _make_private_directory(str(shared))
    own = tmp_path / "todo-api-metrics-2"
    _make_private_directory(str(own))
    assert own.stat().st_mode & 0o777 == 0o700


def test_directories_of_servers_that_are_gone_are_removed(tmp_path: Path) -> None:
    gone = tmp_path / f"todo-api-metrics-{_dead_pid()}"
    running = tmp_path / f"todo-api-metrics-{os.getpid()}"
    for directory in (gone, running):
        directory.mkdir()
        (directory / "counter_1.db").write_bytes(b"")
    _remove_dead_servers_directories(str(tmp_path))
    assert not gone.exists()
    assert running.exists()


def test_live_gauges_of_ended_processes_are_retired_and_counters_kept(tmp_path: Path) -> None:
    dead = _dead_pid()
    for name in (
        f"gauge_livesum_{dead}.db",
        f"counter_{dead}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    retire_dead_processes(str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"counter_{dead}.db",
        f"gauge_livesum_{os.getpid()}.db",
    ]
