"""Bulk data for benchmarks: COPY rows straight into a migrated PostgreSQL database, and
throw-away databases to put them in."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from adapters.ordering import search_key, title_sort_key
from adapters.sql.engine import normalize_database_url
from adapters.sql.migrate import upgrade

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = [
    "buy", "call", "email", "fix", "plan", "read", "write", "review",
    "pay", "book", "clean", "send", "draft", "ship", "test",
]  # fmt: skip
COLUMNS = (
    "id, user_id, title, description, completed, due_date, created_at, updated_at, "
    "version, title_key, description_key"
)


@contextmanager
def scratch_database(server_url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new, migrated database on the server; dropped afterwards unless ``keep``."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(normalize_database_url(url))
        yield url
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def seed_tasks(
    conn: psycopg.Connection, owners: Iterable[str], *, seed: int = 42
) -> dict[str, list[uuid.UUID]]:
    """One task per element of ``owners`` (repeat an owner to give it more), COPYed in one
    transaction. Returns each owner's task ids."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids: dict[str, list[uuid.UUID]] = {}
    with conn.cursor() as cur, cur.copy(f"COPY tasks ({COLUMNS}) FROM STDIN") as copy:
        for n, owner in enumerate(owners):
            task_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            ids.setdefault(owner, []).append(task_id)
            title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} #{n}"
            description = None if n % 3 else f"Notes for {title.lower()}"
            created = start + timedelta(seconds=n * 37 + rng.randrange(30))
            updated = created + timedelta(minutes=rng.randrange(10_000))
            due = None if n % 4 == 0 else date(2025, 1, 1) + timedelta(days=rng.randrange(700))
            copy.write_row(
                (
                    task_id,
                    owner,
                    title,
                    description,
                    rng.random() < 0.4,
                    due,
                    created,
                    updated,
                    1,
                    title_sort_key(title),
                    search_key(description) if description else None,
                )
            )
    conn.commit()
    return ids
