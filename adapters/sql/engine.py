"""Database URLs and the async engine (connection pool) built from them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from application.task_document import json_value


def dump_json_column(value: Any) -> str:
    """JSON columns hold task document values: dates written as the task codec writes them.
    They are read back with orjson: every listed task has its tags to parse."""
    return json.dumps(value, default=json_value)


class UnsupportedDatabaseUrl(ValueError):
    """``DATABASE_URL`` names a database this service does not run on."""


@dataclass(frozen=True)
class PoolSettings:
    size: int = 10
    max_overflow: int = 0
    timeout_seconds: float = 5.0
    recycle_seconds: int = 300
    connect_timeout_seconds: int = 5
    # A connection idle in the pool longer than this is pinged before use.
    idle_ping_seconds: float = 10.0
    # A ping not answered within this counts as failed (the connection is dropped).
    ping_timeout_seconds: float = 1.0
    # Off by default: safe behind any transaction pooler, and measured to cost nothing that
    # shows (bench/prepared_statements.py, docs/performance.md).
    prepared_statements: bool = False


def normalize_database_url(raw: str) -> URL:
    """Accept URLs as providers print them and pick the async drivers.

    ``postgres://`` and ``postgresql://`` (Neon, Heroku, Supabase) get psycopg 3; query
    parameters such as ``sslmode`` and ``channel_binding`` pass through to libpq.
    ``sqlite:///file`` gets aiosqlite.
    """
    try:
        url = make_url(raw.strip())
    except sa.exc.ArgumentError as error:
        raise UnsupportedDatabaseUrl("DATABASE_URL is not a valid database URL") from error
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        # Read the driver from the URL itself: ``get_driver_name()`` would load the dialect
        # named by the scheme to find its default driver, and there is no "postgres" dialect.
        driver = url.drivername.partition("+")[2]
        if driver not in ("", "psycopg", "psycopg2", "psycopg_async"):
            raise UnsupportedDatabaseUrl(f"PostgreSQL driver {driver!r} is not supported")
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise UnsupportedDatabaseUrl(f"database {backend!r} is not supported")


def sync_database_url(url: URL) -> URL:
    """The same database through a blocking driver (for Alembic migrations)."""
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: URL, pool: PoolSettings, *, autocommit: bool = False) -> AsyncEngine:
    """The connection pool. ``autocommit`` makes a pool for units of work that only read:
    there a transaction would add a BEGIN and a ROLLBACK round trip and buy nothing (one
    statement already sees one consistent snapshot). It is a pool of its own because
    switching a pooled connection in and out of autocommit costs more than it saves."""
    isolation: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    if is_sqlite(url):
        return _create_sqlite_engine(url, isolation)
    connect_args: dict[str, Any] = {"connect_timeout": pool.connect_timeout_seconds}
    if not pool.prepared_statements:
        # PgBouncer in transaction mode hands each transaction to any server connection, so
        # statements prepared on one are missing on the next.
        connect_args["prepare_threshold"] = None
    engine = create_async_engine(
        url,
        json_serializer=dump_json_column,
        json_deserializer=orjson.loads,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        pool_recycle=pool.recycle_seconds,
        connect_args=connect_args,
        # Statement parameters are task contents: keep them out of errors and logs.
        hide_parameters=True,
        **isolation,
    )
    ping_idle_connections(engine, pool.idle_ping_seconds, pool.ping_timeout_seconds)
    return engine


# Per engine, when one of its operations last ran out of time (see ``report_timeout``).
_timed_out_at: weakref.WeakKeyDictionary[sa.Engine, float] = weakref.WeakKeyDictionary()


def report_timeout(engine: AsyncEngine) -> None:
    """An operation on ``engine`` ran out of time: the server or the network may be hung,
    and so may every connection pooled before now. Each is pinged before its next use, so
    once the database is back the dead ones are dropped instead of failing requests."""
    _timed_out_at[engine.sync_engine] = time.monotonic()


def ping_idle_connections(
    engine: AsyncEngine, idle_seconds: float, ping_timeout_seconds: float = 1.0
) -> None:
    """Check a pooled connection before use only if it sat idle for ``idle_seconds``.

    Neon suspends idle computes and proxies drop quiet connections, so a connection that
    waited in the pool may be dead; SQLAlchemy's ``pool_pre_ping`` would catch that with a
    round trip on every checkout. A busy pool's connections are known good, so only idle
    ones are pinged; a failed ping raises ``DisconnectionError``, on which the pool
    transparently opens a fresh connection (the pattern SQLAlchemy documents for custom
    pessimistic pings). Connections pooled before an operation timed out are pinged too.

    A ping gets ``ping_timeout_seconds``: a connection to a server that stopped answering
    would otherwise wait forever. Its socket is then shut down, so psycopg sees a closed
    connection at once (cancelling instead would make psycopg wait up to 10 s more for the
    server to acknowledge the cancellation), and the failure invalidates every connection
    pooled before it, as SQLAlchemy's own pre-ping does.
    """
    sync_engine = engine.sync_engine

    @sa.event.listens_for(engine.sync_engine, "checkin")
    def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None:
            return
        recent = time.monotonic() - checked_in_at < idle_seconds
        if recent and checked_in_at > _timed_out_at.get(sync_engine, float("-inf")):
            return
        deadline: asyncio.TimerHandle | None = None
        try:
            fd = dbapi_connection.driver_connection.pgconn.socket  # raises if already closed
            deadline = asyncio.get_running_loop().call_later(ping_timeout_seconds, _shut_down, fd)
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise sa.exc.InvalidatePoolError("pooled connection failed its ping") from error
        finally:
            if deadline is not None:
                deadline.cancel()


async def open_connections(engine: AsyncEngine, count: int, timeout_seconds: float) -> int:
    """Fill the pool with up to ``count`` connections, opened concurrently, and return how
    many opened: on Neon each costs a TLS and authentication handshake, which the first
    requests after a deploy would otherwise pay one by one. A failure is not an error here
    (the database may be down at start-up: readiness says so)."""

    async def one() -> AsyncConnection:
        async with asyncio.timeout(timeout_seconds):
            return await engine.connect()

    results = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    opened = [result for result in results if isinstance(result, AsyncConnection)]
    for connection in opened:
        with contextlib.suppress(Exception):
            await connection.close()
    return len(opened)


def _shut_down(fd: int) -> None:
    # On a duplicate of the descriptor: shutting it down ends the connection for the
    # original too (the waiting driver wakes up), closing it leaves the original alone.
    with (
        contextlib.suppress(OSError),
        socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock,
    ):
        sock.shutdown(socket.SHUT_RDWR)


def _create_sqlite_engine(url: URL, isolation: dict[str, Any]) -> AsyncEngine:
    ensure_sqlite_directory(url)
    engine = create_async_engine(
        url,
        connect_args={"timeout": 5},
        hide_parameters=True,
        json_serializer=dump_json_column,
        json_deserializer=orjson.loads,
        **isolation,
    )

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers and one writer work at once; busy_timeout waits for the writer
        # instead of failing at once with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
