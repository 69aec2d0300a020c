"""The one composition root: ``build_container(settings)`` for HTTP, CLI and tests."""

from __future__ import annotations

import asyncio
import logging
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers
from sqlalchemy.engine import URL

from adapters.clock import SystemClock
from adapters.cursor_sealing import AesGcmCursorSealer, RandomCursorKey
from adapters.identity.assembly import assemble_token_verifier
from adapters.identity.cache import CachingTokenVerifier, TokenCacheObserver
from adapters.identity.errors import IdentityConfigurationError
from adapters.identity.shared_secret import SharedSecretMinter, WeakSecret
from adapters.memory.health import AlwaysReady
from adapters.memory.repository import InMemoryTaskStore
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from adapters.rate_limit import InMemoryRateLimiter, RedisRateLimiter
from adapters.sql.deadline import settle
from adapters.sql.engine import (
    PoolSettings,
    create_engine,
    normalize_database_url,
    open_connections,
)
from adapters.sql.health import SqlHealthProbe
from adapters.sql.secrets import SqlCursorKeys
from adapters.sql.transaction import ConnectionGate
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.pagination import PageCursors
from application.ports import RateLimiter
from application.use_cases import (
    BatchEditTasks,
    ClearCompletedTasks,
    CreateTask,
    DeleteTask,
    ExpireIdempotencyKeys,
    GetTask,
    GetTaskSummary,
    ListTags,
    ListTasks,
    ToggleTaskCompletion,
    UpdateTask,
)
from application.use_cases.admin import ExportTasks, GetStats, ImportTasks, PurgeUser, SeedTasks
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from entrypoints.metrics import ServiceMetrics

MEMORY_URL = "memory://"


class ConfigurationError(Exception):
    """The settings cannot run a safe service; the message says what to change."""


def storage_kind(settings: Settings) -> str:
    return "memory" if settings.database_url.strip() == MEMORY_URL else "sql"


def database_url(settings: Settings) -> URL:
    try:
        return normalize_database_url(settings.database_url)
    except ValueError as error:
        raise ConfigurationError(str(error)) from error


def pool_settings(settings: Settings) -> PoolSettings:
    return PoolSettings(
        size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        timeout_seconds=settings.db_pool_timeout,
        recycle_seconds=settings.db_pool_recycle,
        connect_timeout_seconds=settings.db_connect_timeout,
        prepared_statements=settings.db_prepared_statements,
        ping_timeout_seconds=min(1.0, settings.db_operation_timeout / 3),
    )


def revisions_before_head() -> frozenset[str]:
    """The schema revisions older than this code's (imported here, on the first readiness
    check: Alembic is not needed to build the container)."""
    from adapters.sql.migrate import revisions_before_head as revisions

    return revisions()


def service_metrics(settings: Settings) -> ServiceMetrics | None:
    """The process's metrics when ``METRICS_TOKEN`` is set (ADR 0026), else ``None``: nothing
    counted, prometheus_client not even imported. The workers of one server share theirs."""
    if settings.metrics_token is None:
        return None
    from entrypoints.metrics_directory import UnusableMetricsDirectory, choose_metrics_directory

    try:
        directory = choose_metrics_directory()
    except (UnusableMetricsDirectory, OSError) as error:
        raise ConfigurationError(f"metrics: {error}") from error
    from entrypoints.metrics import ServiceMetrics, multiprocess_mode

    if multiprocess_mode() != (directory is not None):
        raise ConfigurationError(
            "metrics: prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set"
        )
    return ServiceMetrics(directory)


def without_metrics(settings: Settings) -> Settings:
    """The settings of a process that serves no ``/metrics`` (the CLI): it counts nothing,
    so it never adds its pools to a server's figures in a shared PROMETHEUS_MULTIPROC_DIR."""
    return settings.model_copy(update={"metrics_token": None})


def span_exporter(settings: Settings) -> SpanExporter | None:
    """Where traces go when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (ADR 0026), else ``None``:
    no tracing at all, OpenTelemetry not even imported."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    from entrypoints.tracing import otlp_span_exporter

    return otlp_span_exporter(settings.otel_exporter_otlp_endpoint)


def connection_gate(
    settings: Settings, metrics: ServiceMetrics | None = None, pool: str = "write"
) -> ConnectionGate:
    """Fair queueing for one pool's connections (one gate per pool), reporting to the
    metrics under the pool's name."""
    capacity = settings.db_pool_size + settings.db_max_overflow
    observer = metrics.pool(pool, capacity) if metrics is not None else None
    return ConnectionGate(capacity, observer)


def build_token_verifier(
    settings: Settings, metrics: ServiceMetrics | None = None
) -> CachingTokenVerifier:
    """Refuses any configuration that could accept forged tokens. Close the result with
    ``close_token_verifier`` on shutdown (JWKS mode holds an HTTP client)."""
    observer: TokenCacheObserver | None = metrics.token_cache() if metrics is not None else None
    try:
        return assemble_token_verifier(settings, observer)
    except IdentityConfigurationError as error:
        raise ConfigurationError(str(error)) from error


async def close_token_verifier(verifier: object) -> None:
    """Release what a verifier holds (the JWKS HTTP client); fakes without ``aclose`` are fine."""
    await close_resource(verifier)


async def close_resource(resource: object) -> None:
    """Release what a shared singleton holds (an HTTP or Redis client), if it has ``aclose``."""
    aclose = getattr(resource, "aclose", None)
    if aclose is not None:
        await aclose()


def build_token_minter(settings: Settings) -> SharedSecretMinter:
    if settings.better_auth_secret is None:
        raise ConfigurationError("BETTER_AUTH_SECRET is not set; `make run` writes one to .env")
    try:
        return SharedSecretMinter(
            settings.better_auth_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    except WeakSecret as error:
        raise ConfigurationError(str(error)) from error


# The rate limit's window: RATE_LIMIT_PER_USER counts requests a minute.
RATE_LIMIT_WINDOW_SECONDS = 60.0


def build_rate_limiter(settings: Settings) -> RateLimiter | None:
    """The per-user rate limit: shared through Redis when ``REDIS_URL`` is set, else this
    process's own; ``None`` when ``RATE_LIMIT_PER_USER`` is 0. Close it with
    ``close_resource`` on shutdown (the Redis client holds connections)."""
    limit = settings.rate_limit_per_user
    if limit == 0:
        return None
    if settings.redis_url is not None:
        try:
            return RedisRateLimiter.from_url(settings.redis_url, limit, RATE_LIMIT_WINDOW_SECONDS)
        except ValueError as error:
            raise ConfigurationError(f"REDIS_URL is not usable: {error}") from error
    return InMemoryRateLimiter(limit, RATE_LIMIT_WINDOW_SECONDS)


def task_cap(settings: Settings) -> int | None:
    """MAX_TASKS_PER_USER, with 0 meaning no cap."""
    return settings.max_tasks_per_user or None


def units_of_work(
    settings: providers.Provider[Settings],
    engine: providers.Provider[Any],
    memory_store: providers.Provider[InMemoryTaskStore],
    metrics: providers.Provider[Any],
    pool: str,
    gate: providers.Provider[Any] | None = None,
    *,
    staged_writes: bool = False,
) -> providers.Selector[Any]:
    """A fresh unit of work per use, on ``engine``'s pool (behind its fair gate: its own
    unless one is given; ``pool`` names it in the metrics) or on the in-memory store, as
    ``DATABASE_URL`` says."""
    return providers.Selector(
        providers.Singleton(storage_kind, settings),
        sql=providers.Factory(
            SqlUnitOfWork,
            engine=engine,
            # Read once: a ``settings.provided`` attribute is looked up again on every
            # unit of work (6 µs).
            operation_timeout=providers.Singleton(attrgetter("db_operation_timeout"), settings),
            gate=gate or providers.Singleton(connection_gate, settings, metrics, pool),
            staged_writes=staged_writes,
        ),
        memory=providers.Factory(InMemoryUnitOfWork, store=memory_store),
    )


def on_postgresql(settings: Settings) -> bool:
    return storage_kind(settings) == "sql" and (
        database_url(settings).get_backend_name() == "postgresql"
    )


def write_path(settings: Settings) -> str:
    """How the request path writes: staged on PostgreSQL, where a round trip crosses the
    network (ADR 0028); in one plain transaction on SQLite and in memory."""
    return "staged" if on_postgresql(settings) else "transactional"


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # Stateless, shared: singletons.
    clock = providers.Singleton(SystemClock)
    # What may be None is a Resource, built once all the same: dependency-injector's
    # Singleton takes a None it holds for "not built yet" and would build it again on
    # every call (9-13 µs each; the rate limiter's and the cap's were on every request).
    # Shared: the process's counters (None when METRICS_TOKEN is unset).
    metrics = providers.Resource(service_metrics, settings)
    # Where traces go (None when OTEL_EXPORTER_OTLP_ENDPOINT is unset).
    span_exporter = providers.Resource(span_exporter, settings)
    database_url = providers.Singleton(database_url, settings)
    engine = providers.Singleton(
        create_engine, database_url, providers.Callable(pool_settings, settings)
    )
    read_engine = providers.Singleton(
        create_engine,
        database_url,
        providers.Callable(pool_settings, settings),
        autocommit=True,
    )
    memory_store = providers.Singleton(InMemoryTaskStore)
    # Shared: it holds the verified-token cache and the JWKS key cache.
    token_verifier = providers.Singleton(build_token_verifier, settings, metrics)
    token_minter = providers.Singleton(build_token_minter, settings)
    # Shared: it holds the per-user counts (or the Redis client); None with no limit.
    rate_limiter = providers.Resource(build_rate_limiter, settings)
    # What the settings decide is decided once, not again on every request
    # that builds a use case (a write's path would otherwise parse DATABASE_URL each time).
    max_tasks = providers.Resource(task_cap, settings)

    # Anything holding a connection: a fresh one per use. Use cases that only read get the
    # autocommit pool: one round trip instead of BEGIN, SELECT, ROLLBACK (ADR 0010).
    unit_of_work = units_of_work(settings, engine, memory_store, metrics, "write")
    read_gate = providers.Singleton(connection_gate, settings, metrics, "read")
    read_unit_of_work = units_of_work(
        settings, read_engine, memory_store, metrics, "read", read_gate
    )
    # The request path's writes (batches included), on the same autocommit pool: reads at
    # once, writes sent together at commit, one round trip for all (ADR 0028; PostgreSQL).
    write_unit_of_work = providers.Selector(
        providers.Singleton(write_path, settings),
        staged=units_of_work(
            settings, read_engine, memory_store, metrics, "read", read_gate, staged_writes=True
        ),
        transactional=unit_of_work,
    )
    # A use case whose whole write is one statement ("clear completed": one DELETE; the
    # tag rows and stored responses go with it in the same statement, by cascade and
    # trigger): on the autocommit pool that statement is its own transaction, one round
    # trip with no BEGIN or COMMIT, and it still says how many rows it deleted, which a
    # staged write could not (ADR 0029).
    single_statement_unit_of_work = read_unit_of_work
    # Shared: it holds the cursor key, fetched once (on SQL, from the database: every
    # process on it seals and opens the same cursors).
    cursor_keys = providers.Selector(
        providers.Singleton(storage_kind, settings),
        sql=providers.Singleton(SqlCursorKeys, unit_of_work=read_unit_of_work.provider),
        memory=providers.Singleton(RandomCursorKey),
    )
    page_cursors = providers.Singleton(
        PageCursors, sealer=providers.Singleton(AesGcmCursorSealer, keys=cursor_keys)
    )
    health_probe = providers.Selector(
        providers.Callable(storage_kind, settings),
        sql=providers.Singleton(
            SqlHealthProbe,
            engine=engine,
            behind=providers.Callable(revisions_before_head),
            timeout_seconds=providers.Callable(min, 3.0, settings.provided.db_operation_timeout),
        ),
        memory=providers.Singleton(AlwaysReady),
    )

    create_task = providers.Factory(
        CreateTask, uow=write_unit_of_work, clock=clock, max_tasks=max_tasks
    )
    get_task = providers.Factory(GetTask, uow=read_unit_of_work)
    list_tasks = providers.Factory(ListTasks, uow=read_unit_of_work)
    update_task = providers.Factory(
        UpdateTask, uow=write_unit_of_work, clock=clock, max_tasks=max_tasks
    )
    toggle_task_completion = providers.Factory(
        ToggleTaskCompletion, uow=write_unit_of_work, clock=clock, max_tasks=max_tasks
    )
    delete_task = providers.Factory(DeleteTask, uow=write_unit_of_work)
    batch_edit_tasks = providers.Factory(
        BatchEditTasks, uow=write_unit_of_work, clock=clock, max_tasks=max_tasks
    )
    clear_completed_tasks = providers.Factory(
        ClearCompletedTasks, uow=single_statement_unit_of_work
    )
    get_task_summary = providers.Factory(GetTaskSummary, uow=read_unit_of_work, clock=clock)
    list_tags = providers.Factory(ListTags, uow=read_unit_of_work)
    expire_idempotency_keys = providers.Factory(
        ExpireIdempotencyKeys, uow=unit_of_work, clock=clock
    )

    # Admin CLI (todo-admin): bulk export/import, erasure, statistics, demo data.
    export_tasks = providers.Factory(ExportTasks, uow=read_unit_of_work)
    import_tasks = providers.Factory(
        ImportTasks, uow=unit_of_work, clock=clock, max_tasks=max_tasks
    )
    purge_user = providers.Factory(PurgeUser, uow=unit_of_work)
    get_stats = providers.Factory(GetStats, uow=unit_of_work)
    seed_tasks = providers.Factory(SeedTasks, uow=unit_of_work, clock=clock)


def build_container(settings: Settings | None = None) -> Container:
    container = Container(settings=settings or Settings())
    return container


logger = logging.getLogger(__name__)

# How long shutdown waits for database operations that overran and are winding down.
SHUTDOWN_GRACE_SECONDS = 5.0


async def warm_pools(container: Container) -> None:
    """Open the request pool's connections (its reads and writes) and one of the
    transaction pool's before the first request, all at once (ADR 0028)."""
    settings = container.settings()
    if not on_postgresql(settings):
        return  # SQLite is a local file: nothing to wait for
    timeout = float(settings.db_connect_timeout) + 1
    counts = await asyncio.gather(
        open_connections(container.read_engine(), settings.db_pool_size, timeout),
        open_connections(container.engine(), 1, timeout),
    )
    wanted = settings.db_pool_size + 1
    if sum(counts) < wanted:
        logger.warning("warming the pools: %d of %d connections opened", sum(counts), wanted)


async def close_container(container: Container) -> None:
    """Release the pools' connections (an engine never used holds none), once operations
    cancelled after an overrun have let go of theirs."""
    if storage_kind(container.settings()) == "sql":
        await settle(SHUTDOWN_GRACE_SECONDS)
        await container.engine().dispose()
        await container.read_engine().dispose()
