"""Alembic migrations build exactly the tables the code maps; database URLs are normalized."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import URL

from adapters.sql.engine import (
    UnsupportedDatabaseUrl,
    normalize_database_url,
    sync_database_url,
)
from adapters.sql.migrate import current_revision, head_revision, upgrade
from adapters.sql.tables import metadata
from tests.databases import fresh_postgres_database, fresh_sqlite_database


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[URL]:
    """A database with nothing in it yet (not migrated)."""
    if request.param == "sqlite":
        with fresh_sqlite_database(tmp_path, migrate=False) as url:
            yield normalize_database_url(url)
    else:
        with fresh_postgres_database(migrate=False) as url:
            yield normalize_database_url(url)


def sync_engine(url: URL) -> sa.Engine:
    return sa.create_engine(sync_database_url(url), poolclass=sa.pool.NullPool)


def schema_differences(url: URL) -> list[Any]:
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_head_revision_exists() -> None:
    head = head_revision()
    assert head is not None
    assert head != ""


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def migrated_database(request: pytest.FixtureRequest) -> URL:
    """This module's migrated database of each kind (shared: tests use their own rows)."""
    return normalize_database_url(request.getfixturevalue(f"{request.param}_url"))


def test_upgrade_to_head_gives_exactly_the_mapped_schema(empty_database: URL) -> None:
    assert current_revision(empty_database) is None
    # The comparison really looks: before migrating, the table is missing.
    before = schema_differences(empty_database)
    assert any(d[0] == "add_table" and d[1].name == "tasks" for d in before)

    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision()
    assert schema_differences(empty_database) == []

    upgrade(empty_database)  # upgrading an up-to-date database is harmless
    assert current_revision(empty_database) == head_revision()
    assert schema_differences(empty_database) == []


def test_migrated_schema_has_the_per_user_indexes(migrated_database: URL) -> None:
    engine = sync_engine(migrated_database)
    try:
        indexes = {
            index["name"]: index["column_names"]
            for index in sa.inspect(engine).get_indexes("tasks")
        }
    finally:
        engine.dispose()
    assert indexes == {
        "ix_tasks_user_created": ["user_id", "created_at", "id"],
        "ix_tasks_user_updated": ["user_id", "updated_at", "id"],
        "ix_tasks_user_title": ["user_id", "title_key", "id"],
        "ix_tasks_user_due": ["user_id", "due_date", "id"],
        "ix_tasks_user_priority": ["user_id", "priority_key", "id"],
        "ix_tasks_user_remind": ["user_id", "remind_at", "id"],
    }
    engine = sync_engine(migrated_database)
    try:
        tag_indexes = {
            index["name"]: index["column_names"]
            for index in sa.inspect(engine).get_indexes("task_tags")
        }
    finally:
        engine.dispose()
    assert tag_indexes == {
        "ix_task_tags_user_tag": ["user_id", "name_key", "created_at", "task_id"]
    }


@pytest.mark.postgres
def test_sort_keys_use_code_point_collation_on_postgres(postgres_url: str) -> None:
    engine = sync_engine(normalize_database_url(postgres_url))
    try:
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("tasks")}
    finally:
        engine.dispose()
    for name in ("title_key", "description_key", "priority_key"):
        assert getattr(columns[name]["type"], "collation", None) == "C"


def _row(**overrides: object) -> dict[str, object]:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row: dict[str, object] = {
        "id": uuid.uuid4(),
        "user_id": "u",
        "title": "t",
        "description": None,
        "completed": False,
        "due_date": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "title_key": "t",
        "description_key": None,
        "priority": 0,
        "tags": [],
        "priority_key": "020250101000000000000",
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"description": "d" * 1001},
        {"user_id": ""},
        {"version": 0},
        {"title": None},
        {"completed": None},
        {"title_key": None},
        {"priority": 4},
        {"priority": -1},
        {"priority": None},
        {"tags": sa.null()},  # a JSON column's None is JSON null, not SQL NULL
        {"priority_key": None},
    ],
)
def test_database_constraints_are_the_backstop(
    migrated_database: URL, bad: dict[str, object]
) -> None:
    tasks = metadata.tables["tasks"]
    owner = str(uuid.uuid4())
    engine = sync_engine(migrated_database)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(tasks).values(**_row(user_id=owner)))
        # A CHECK or NOT NULL constraint, or PostgreSQL's varchar length (a DataError).
        refused = (sa.exc.IntegrityError, sa.exc.DataError)
        with pytest.raises(refused), engine.begin() as connection:
            connection.execute(sa.insert(tasks).values(**_row(**{"user_id": owner, **bad})))
        with engine.connect() as connection:
            count = connection.execute(
                sa.select(sa.func.count()).select_from(tasks).where(tasks.c.user_id == owner)
            ).scalar()
        assert count == 1
    finally:
        engine.dispose()


def test_duplicate_ids_are_refused(migrated_database: URL) -> None:
    tasks = metadata.tables["tasks"]
    row = _row(user_id=str(uuid.uuid4()))
    engine = sync_engine(migrated_database)
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(tasks).values(**row))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.insert(tasks).values(**{**row, "user_id": "someone else"}))
    finally:
        engine.dispose()


# --- database URLs ---------------------------------------------------------------------------


def test_neon_url_gets_psycopg_and_keeps_its_query() -> None:
    url = normalize_database_url(
        "postgres://u:p@ep-cool-name-123456.eu-central-1.aws.neon.tech/db"
        "?sslmode=require&channel_binding=require"
    )
    assert url.drivername == "postgresql+psycopg"
    assert url.username == "u"
    assert url.password == "p"
    assert url.host == "ep-cool-name-123456.eu-central-1.aws.neon.tech"
    assert url.database == "db"
    assert dict(url.query) == {"sslmode": "require", "channel_binding": "require"}


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://u:p@h:5432/db",
        "postgresql+psycopg2://u:p@h/db",
        "postgresql+psycopg://u:p@h/db",
        "postgresql+psycopg_async://u:p@h/db",
        "postgres://u@h/db",
        "  postgresql://u:p@h/db\n",
    ],
)
def test_postgres_urls_get_psycopg(raw: str) -> None:
    url = normalize_database_url(raw)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "h"
    assert url.database == "db"


def test_passwords_with_special_characters_survive() -> None:
    url = normalize_database_url("postgresql://user:p%40ss%2Fw0rd@h/db")
    assert url.password == "p@ss/w0rd"


@pytest.mark.parametrize(
    ("raw", "database"),
    [
        ("sqlite:///x.db", "x.db"),
        ("sqlite:////abs/path/todo.db", "/abs/path/todo.db"),
        ("sqlite+aiosqlite:///x.db", "x.db"),
        ("sqlite://", None),
    ],
)
def test_sqlite_urls_get_aiosqlite(raw: str, database: str | None) -> None:
    url = normalize_database_url(raw)
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == database
    assert sync_database_url(url).drivername == "sqlite"


def test_sync_url_of_postgres_is_unchanged() -> None:
    url = normalize_database_url("postgres://u:p@h/db?sslmode=require")
    assert sync_database_url(url) == url


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://u:p@h/db",
        "mysql+pymysql://u:p@h/db",
        "mssql+pyodbc://u:p@h/db",
        "oracle://u:p@h/db",
        "postgresql+asyncpg://u:p@h/db",
        "postgresql+pg8000://u:p@h/db",
        "garbage",
        "",
        "://",
        "http://example.com",
    ],
)
def test_unsupported_urls_are_refused(raw: str) -> None:
    with pytest.raises(UnsupportedDatabaseUrl):
        normalize_database_url(raw)


def test_unsupported_database_url_is_a_value_error() -> None:
    assert issubclass(UnsupportedDatabaseUrl, ValueError)


async def test_upgrading_a_database_with_tasks_backfills_the_new_fields(
    empty_database: URL,
) -> None:
    """Tasks stored before priorities, tags and recurrence existed come through revision
    0003 as the service would have made them: priority none, no tags, a priority sort key
    the service derives the same way, and completed tasks completed at their last change."""
    from adapters.sql.engine import PoolSettings, create_engine
    from adapters.sql.unit_of_work import SqlUnitOfWork
    from application.queries import SortField, TaskQuery, priority_sort_key

    upgrade(empty_database, "0002")
    created = datetime(987, 6, 5, 4, 3, 2, 1000, tzinfo=UTC)  # a year of three digits
    done_at = datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC)
    old_columns = ("id", "user_id", "title", "description", "completed", "due_date")
    rows = [
        dict(zip(old_columns, (uuid.uuid4(), "u", "open", None, False, None), strict=True)),
        dict(zip(old_columns, (uuid.uuid4(), "u", "done", "d", True, None), strict=True)),
    ]
    engine = sync_engine(empty_database)
    try:
        with engine.begin() as connection:
            for row in rows:
                connection.execute(
                    sa.text(
                        "INSERT INTO tasks (id, user_id, title, description, completed,"
                        " due_date, created_at, updated_at, version, title_key, description_key)"
                        " VALUES (:id, :user_id, :title, :description, :completed, :due_date,"
                        " :created_at, :updated_at, 1, :title_key, :description_key)"
                    ).bindparams(
                        sa.bindparam("id", type_=sa.Uuid()),
                        sa.bindparam("created_at", type_=sa.DateTime(timezone=True)),
                        sa.bindparam("updated_at", type_=sa.DateTime(timezone=True)),
                    ),
                    {
                        **row,
                        "created_at": created,
                        "updated_at": done_at,
                        "title_key": row["title"],
                        "description_key": row["description"],
                    },
                )
    finally:
        engine.dispose()
    upgrade(empty_database)
    assert schema_differences(empty_database) == []

    pool = create_engine(empty_database, PoolSettings())
    try:
        async with SqlUnitOfWork(pool) as uow:
            tasks = await uow.tasks.list("u", TaskQuery(sort=SortField.PRIORITY))
    finally:
        await pool.dispose()
    by_title = {task.title: task for task in tasks}
    assert set(by_title) == {"open", "done"}
    for task in tasks:
        assert (task.priority.value, task.tags, task.recurrence) == ("none", (), None)
        assert task.remind_at is None
        assert task.next_task_id is None
    assert by_title["open"].completed_at is None
    assert by_title["done"].completed_at == done_at
    engine = sync_engine(empty_database)
    try:
        with engine.connect() as connection:
            keys = set(connection.execute(sa.text("SELECT priority_key FROM tasks")).scalars())
    finally:
        engine.dispose()
    assert keys == {priority_sort_key(task) for task in tasks}
