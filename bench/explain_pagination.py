"""EXPLAIN ANALYZE of keyset pages at 1M tasks on PostgreSQL: first page vs the 500th.

    .venv/bin/python -m bench.explain_pagination [--server-url URL] [--keep]

Creates a throw-away database on the server (default: the local test server), seeds
1,000,000 tasks across 10,000 users — one "heavy" user owns 60,000 of them, enough for 600
pages of 100 — runs VACUUM ANALYZE, then for every sort and order runs the repository's own
SELECTs for page 1 and page 500 of the heavy user under EXPLAIN (ANALYZE, BUFFERS), and
prints the plans and execution times as Markdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from adapters.sql.listing import list_statements
from application.queries import (
    SortField,
    SortOrder,
    TaskPosition,
    TaskQuery,
)
from bench.seeding import DEFAULT_SERVER_URL, scratch_database, seed_tasks

TOTAL_TASKS = 1_000_000
USERS = 10_000
HEAVY_USER = "heavy-user"
HEAVY_TASKS = 60_000
PAGE = 100
DEEP_PAGE = 500
# The column each sort's index orders by, and the column its cursor value comes from.
_POSITION_COLUMNS = {
    SortField.CREATED: ("created_at", "created_at"),
    SortField.UPDATED: ("updated_at", "updated_at"),
    SortField.TITLE: ("title_key", "title"),
    SortField.DUE_DATE: ("due_date", "due_date"),
    SortField.PRIORITY: ("priority_key", "priority_key"),
}


def seed(conn: psycopg.Connection) -> None:
    """The 1M tasks, then VACUUM ANALYZE; prints how long it took and the server version."""
    started = time.perf_counter()
    others = TOTAL_TASKS - HEAVY_TASKS
    owners = [HEAVY_USER] * HEAVY_TASKS + [f"user-{i % (USERS - 1):05d}" for i in range(others)]
    seed_tasks(conn, owners)
    print(f"seeded {TOTAL_TASKS:,} tasks in {time.perf_counter() - started:.0f} s")
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    version = conn.execute("SHOW server_version").fetchone()
    print(f"PostgreSQL {version[0] if version else '?'}\n")


def position_at(
    conn: psycopg.Connection, query: TaskQuery, offset: int, owner: str = HEAVY_USER
) -> TaskPosition:
    """The key of the row ending page ``offset // PAGE`` (found once, with OFFSET)."""
    column, value_column = _POSITION_COLUMNS[query.sort]
    direction = "DESC" if query.direction is SortOrder.DESC else "ASC"
    row = conn.execute(
        f"SELECT {value_column}, id FROM tasks WHERE user_id = %s "
        f"ORDER BY {column} {direction} NULLS LAST, id {direction} OFFSET %s LIMIT 1",
        (owner, offset - 1),
    ).fetchone()
    assert row is not None
    return TaskPosition(value=row[0], task_id=row[1])


def explain_statement(
    conn: psycopg.Connection, statement: sa.ClauseElement, parameters: dict[str, Any]
) -> tuple[str, float]:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement as the service sends it (compiled for
    psycopg, bound parameters); the plan and its execution time in ms."""
    compiled = expand(statement, parameters)
    text = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + compiled.statement
    return timed_plan(conn.execute(text, compiled.parameters).fetchall())


def expand(statement: sa.ClauseElement, parameters: dict[str, Any], **dialect: Any) -> Any:
    """``statement`` compiled for psycopg, with expanding parameters (``IN`` lists) spelled
    out: its ``statement`` text and its ``parameters``."""
    compiled = statement.compile(dialect=PGDialect_psycopg(**dialect))  # type: ignore[no-untyped-call]
    return compiled.construct_expanded_state(parameters)  # type: ignore[attr-defined]


def timed_plan(rows: list[tuple[Any, ...]]) -> tuple[str, float]:
    """An EXPLAIN ANALYZE's rows as text, and its execution time in ms."""
    plan = "\n".join(r[0] for r in rows)
    return plan, float(rows_of(plan, "Execution Time:")[0].split()[2])


def rows_of(plan: str, prefix: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if line.strip().startswith(prefix)]


def explain(
    conn: psycopg.Connection, query: TaskQuery, owner: str = HEAVY_USER
) -> tuple[str, float]:
    """The first statement of a list page (the only one unless the sort column is nullable
    and the page runs past the tasks with a value)."""
    page = list_statements(owner, query)[0]
    return explain_statement(conn, page.statement, page.parameters)


def report(conn: psycopg.Connection) -> None:
    print("| sort | order | page 1 (ms) | page 500 (ms) |\n|---|---|---|---|")
    details = []
    for sort in SortField:
        for order in SortOrder:
            first = TaskQuery(sort=sort, order=order, limit=PAGE + 1)
            deep = TaskQuery(
                sort=sort,
                order=order,
                limit=PAGE + 1,
                after=position_at(conn, first, (DEEP_PAGE - 1) * PAGE),
            )
            plan1, ms1 = explain(conn, first)
            plan500, ms500 = explain(conn, deep)
            print(f"| {sort.value} | {order.value} | {ms1:.3f} | {ms500:.3f} |")
            details.append((sort, order, plan1, plan500))
    for sort, order, plan1, plan500 in details:
        print(f"\n### sort={sort.value} order={order.value}\n\nPage 1:\n```\n{plan1}\n```")
        print(f"Page {DEEP_PAGE}:\n```\n{plan500}\n```")


def cli(report: Callable[[psycopg.Connection], None], description: str | None) -> int:
    """Seed a throw-away database, then ``report`` on it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    with (
        scratch_database(args.server_url, "todo_explain", keep=args.keep) as url,
        psycopg.connect(url) as conn,
    ):
        seed(conn)
        report(conn)
    return 0


if __name__ == "__main__":
    sys.exit(cli(report, __doc__))
