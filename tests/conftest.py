"""Fixtures shared by every layer's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_postgres_database, fresh_sqlite_database


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
