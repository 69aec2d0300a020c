"""Fixtures shared by every layer's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import (
    SQL_BACKENDS,
    fresh_database,
    fresh_postgres_database,
    fresh_sqlite_database,
)

# The HTTP fixtures (``client`` on every backend, ``http_client`` on memory:// only).
pytest_plugins = ["tests.http"]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test module (dropped afterwards)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite file for this test module."""
    directory: Path = tmp_path_factory.mktemp("sqlite")
    with fresh_sqlite_database(directory) as url:
        yield url


@pytest.fixture(params=SQL_BACKENDS)
def own_sql_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite file, then a PostgreSQL database, of the test's own: the test may
    break it (rename a table, add a trigger) without touching any other test's data."""
    with fresh_database(request.param, tmp_path) as url:
        yield url
