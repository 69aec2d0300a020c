"""Alembic migrations, run programmatically (``todo-admin db upgrade``, ``make run``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from adapters.sql.engine import ensure_sqlite_directory, is_sqlite, sync_database_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = sync_database_url(url)
    return config


def upgrade(url: URL, revision: str = "head") -> None:
    if is_sqlite(url):
        ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(sa.make_url("sqlite://"))).get_current_head()


def revisions_before_head() -> frozenset[str]:
    """Every revision older than the head: a database at one of them is behind this code."""
    script = ScriptDirectory.from_config(alembic_config(sa.make_url("sqlite://")))
    head = script.get_current_head()
    return frozenset(
        revision.revision for revision in script.walk_revisions() if revision.revision != head
    )


def current_revision(url: URL) -> str | None:
    engine = sa.create_engine(sync_database_url(url), connect_args=_connect_args(url))
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _connect_args(url: URL) -> dict[str, object]:
    return {} if is_sqlite(url) else {"connect_timeout": 5}
