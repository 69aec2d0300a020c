"""The service's Prometheus metrics (ADR 0026): what is counted, and how every worker
process's counts become one answer.

Built only when ``METRICS_TOKEN`` is set (``entrypoints.container.service_metrics``); the
adapters report through their small observer protocols (``GateObserver``,
``TokenCacheObserver``) and never see prometheus_client. In multiprocess mode (the
directory ``entrypoints.metrics_directory`` chose before prometheus_client was imported)
each process writes its values to files there, and a scrape answered by any process reads
them all; otherwise the values are in this process's memory.
"""

from __future__ import annotations

import glob
import os
import re

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.values import ValueClass

from entrypoints.metrics_directory import process_alive

# Methods outside these are counted as "other": a client must not be able to add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds. Requests: the default buckets' range, with the steps around this service's
# usual 1-50 ms. Pool waits: from "none" to DB_POOL_TIMEOUT's range.
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
POOL_WAIT_BUCKETS = (0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")

# No `*_created` series: multiprocess mode has none, and one output in both modes is simpler
# to chart (prometheus_client's switch is per process; nothing else here uses it).
disable_created_metrics()  # type: ignore[no-untyped-call]


def multiprocess_mode() -> bool:
    """Whether prometheus_client writes values to ``PROMETHEUS_MULTIPROC_DIR`` (decided when
    it was imported)."""
    return bool(getattr(ValueClass, "_multiprocess", False))


class PoolMetrics:
    """One connection pool's figures; a ``GateObserver`` for its ``ConnectionGate``."""

    def __init__(self, metrics: ServiceMetrics, pool: str, capacity: int) -> None:
        self._waiting = metrics.pool_waiting.labels(pool)
        self._in_use = metrics.pool_in_use.labels(pool)
        self._wait_seconds = metrics.pool_wait_seconds.labels(pool)
        metrics.pool_capacity.labels(pool).set(capacity)

    def waiting(self, change: int) -> None:
        self._waiting.inc(change)

    def holding(self, change: int) -> None:
        self._in_use.inc(change)

    def waited(self, seconds: float) -> None:
        self._wait_seconds.observe(seconds)


class TokenCacheMetrics:
    """A ``TokenCacheObserver`` for the verified-token cache."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self._hits = metrics.token_cache_lookups.labels("hit")
        self._misses = metrics.token_cache_lookups.labels("miss")

    def looked_up(self, hit: bool) -> None:
        (self._hits if hit else self._misses).inc()


class ServiceMetrics:
    """Every metric of one service process, and the registry a scrape reads."""

    def __init__(self, directory: str | None = None) -> None:
        """``directory``: where every process's values are (multiprocess mode), as
        ``choose_metrics_directory`` set it before prometheus_client was imported."""
        self.directory = directory
        # In multiprocess mode values live in the files, and a scrape reads the files; the
        # metrics themselves are in no registry (each process has its own objects).
        self.registry = CollectorRegistry(auto_describe=directory is None)
        own: CollectorRegistry | None = self.registry
        if directory is not None:
            own = None
            retire_dead_processes(directory)
            multiprocess.MultiProcessCollector(self.registry, path=directory)  # type: ignore[no-untyped-call]
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests_total", "HTTP requests answered", labels, registry=own
        )
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer",
            labels,
            buckets=REQUEST_BUCKETS,
            registry=own,
        )
        self.rate_limit_refusals = Counter(
            "rate_limit_refusals_total",
            "Requests refused by the per-user rate limit (429)",
            registry=own,
        )
        self.token_cache_lookups = Counter(
            "token_cache_lookups_total",
            "Bearer tokens looked up in the verified-token cache, by result",
            ("result",),
            registry=own,
        )
        # Live sums: a process that has ended stops counting (see mark_process_dead).
        self.pool_in_use = Gauge(
            "db_pool_connections_in_use",
            "Connections held by units of work",
            ("pool",),
            multiprocess_mode="livesum",
            registry=own,
        )
        self.pool_capacity = Gauge(
            "db_pool_connections_max",
            "Connections the pool may hold (DB_POOL_SIZE + DB_MAX_OVERFLOW), all processes",
            ("pool",),
            multiprocess_mode="livesum",
            registry=own,
        )
        self.pool_waiting = Gauge(
            "db_pool_waiting",
            "Units of work waiting for a free connection",
            ("pool",),
            multiprocess_mode="livesum",
            registry=own,
        )
        self.pool_wait_seconds = Histogram(
            "db_pool_wait_seconds",
            "Time a unit of work waited for a free connection (0 when one was free)",
            ("pool",),
            buckets=POOL_WAIT_BUCKETS,
            registry=own,
        )
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def pool(self, name: str, capacity: int) -> PoolMetrics:
        return PoolMetrics(self, name, capacity)

    def token_cache(self) -> TokenCacheMetrics:
        return TokenCacheMetrics(self)

    def request_finished(
        self, method: str, route: str, status: int, seconds: float, rate_limited: bool
    ) -> None:
        key = (method if method in _METHODS else "other", route, status)
        children = self._request_children.get(key)
        if children is None:
            values = (key[0], route, str(status))
            children = (self.requests.labels(*values), self.request_seconds.labels(*values))
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if rate_limited:
            self.rate_limit_refusals.inc()

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The scrape's body and content type, in the format the scraper asks for."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

    def close(self) -> None:
        """This process stops serving: its live gauges stop counting."""
        if self.directory is not None:
            multiprocess.mark_process_dead(os.getpid(), self.directory)  # type: ignore[no-untyped-call]


def retire_dead_processes(directory: str) -> None:
    """Drop the live gauges of processes that are gone (a killed worker never said so):
    their connections are not in use any more. Their counters stay: counts only grow."""
    for path in glob.glob(os.path.join(directory, "gauge_live*.db")):
        match = _LIVE_GAUGE_FILE.fullmatch(os.path.basename(path))
        if match is not None and not process_alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), directory)  # type: ignore[no-untyped-call]
