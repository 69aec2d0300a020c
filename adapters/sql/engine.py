"""Database URLs and the async engine (connection pool) built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class UnsupportedDatabaseUrl(ValueError):
    """``DATABASE_URL`` names a database this service does not run on."""


@dataclass(frozen=True)
class PoolSettings:
    size: int = 5
    max_overflow: int = 5
    timeout_seconds: float = 5.0
    recycle_seconds: int = 300
    connect_timeout_seconds: int = 5
    # None: decide from the host (Neon's pooled endpoints have "-pooler" in their name).
    prepared_statements: bool | None = None


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


def uses_transaction_pooler(url: URL) -> bool:
    """Neon's pooled endpoint (PgBouncer, transaction mode) has ``-pooler`` in its host."""
    return "-pooler" in (url.host or "")


def ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: URL, pool: PoolSettings) -> AsyncEngine:
    if is_sqlite(url):
        return _create_sqlite_engine(url)
    connect_args: dict[str, Any] = {"connect_timeout": pool.connect_timeout_seconds}
    prepared = pool.prepared_statements
    if prepared is None:
        prepared = not uses_transaction_pooler(url)
    if not prepared:
        # PgBouncer in transaction mode hands each transaction to any server connection, so
        # statements prepared on one are missing on the next.
        connect_args["prepare_threshold"] = None
    return create_async_engine(
        url,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_seconds,
        pool_recycle=pool.recycle_seconds,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    ensure_sqlite_directory(url)
    engine = create_async_engine(url, connect_args={"timeout": 5})

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
