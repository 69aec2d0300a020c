"""Throw-away databases for tests: a fresh PostgreSQL database or SQLite file, migrated.

PostgreSQL comes from ``TEST_POSTGRES_URL`` (default: the local server, trust auth). When
it cannot be reached the PostgreSQL tests skip on a developer machine, but under
``CI=true`` they fail: CI must never pass without having run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from adapters.sql.engine import normalize_database_url
from adapters.sql.migrate import upgrade

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Parameters for fixtures that run a test on each backend, or on each SQL one.
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SQL_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_SERVER_URL)


def through(url: str, host: str, port: int) -> str:
    """The same database URL, reached at another address (a proxy, a pooler)."""
    return make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


def require_postgres() -> None:
    """Skip (or, under CI, fail) when the PostgreSQL server is not reachable."""
    try:
        with psycopg.connect(server_url(), connect_timeout=3):
            return
    except psycopg.Error as error:
        message = f"PostgreSQL is not reachable at {server_url()}: {error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def fresh_postgres_database(*, migrate: bool = True) -> Iterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    require_postgres()
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url(), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(normalize_database_url(url))
        yield url
    finally:
        with psycopg.connect(server_url(), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def fresh_sqlite_database(directory: Path, *, migrate: bool = True) -> Iterator[str]:
    url = f"sqlite:///{directory / f'todo-{uuid.uuid4().hex[:8]}.db'}"
    if migrate:
        upgrade(normalize_database_url(url))
    yield url


@contextmanager
def fresh_database(backend: str, directory: Path, *, migrate: bool = True) -> Iterator[str]:
    """A database of the caller's own on ``backend`` (``memory``, ``sqlite`` or
    ``postgres``; SQLite files go in ``directory``), migrated unless told not to: for a test
    that breaks its database, counts what the whole store holds, or migrates it itself."""
    if backend == "memory":
        yield "memory://"
    elif backend == "sqlite":
        with fresh_sqlite_database(directory, migrate=migrate) as url:
            yield url
    elif backend == "postgres":
        with fresh_postgres_database(migrate=migrate) as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")
