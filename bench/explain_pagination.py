"""EXPLAIN ANALYZE of keyset pages at 1M tasks on PostgreSQL: first page vs the 500th.

    .venv/bin/python bench/explain_pagination.py [--server-url URL] [--keep]

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

import psycopg
from sqlalchemy.dialects import postgresql

from adapters.sql.listing import list_statements
from application.queries import (
    SortField,
    SortOrder,
    TaskPosition,
    TaskQuery,
)
from bench.seeding import scratch_database, seed_tasks

TOTAL_TASKS = 1_000_000
USERS = 10_000
HEAVY_USER = "heavy-user"
HEAVY_TASKS = 60_000
PAGE = 100
DEEP_PAGE = 500


def seed(conn: psycopg.Connection) -> None:
    others = TOTAL_TASKS - HEAVY_TASKS
    owners = [HEAVY_USER] * HEAVY_TASKS + [f"user-{i % (USERS - 1):05d}" for i in range(others)]
    seed_tasks(conn, owners)


def position_at(conn: psycopg.Connection, query: TaskQuery, offset: int) -> TaskPosition:
    """The key of the row ending page ``offset // PAGE`` (found once, with OFFSET)."""
    column = {
        SortField.CREATED: "created_at",
        SortField.UPDATED: "updated_at",
        SortField.TITLE: "title_key",
        SortField.DUE_DATE: "due_date",
    }[query.sort]
    direction = "DESC" if query.direction is SortOrder.DESC else "ASC"
    value_column = "title" if query.sort is SortField.TITLE else column
    row = conn.execute(
        f"SELECT {value_column}, id FROM tasks WHERE user_id = %s "
        f"ORDER BY {column} {direction} NULLS LAST, id {direction} OFFSET %s LIMIT 1",
        (HEAVY_USER, offset - 1),
    ).fetchone()
    assert row is not None
    return TaskPosition(value=row[0], task_id=row[1])


def explain(conn: psycopg.Connection, query: TaskQuery) -> tuple[str, float]:
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    plans, total = [], 0.0
    for page in list_statements(HEAVY_USER, query)[:1]:
        compiled = page.statement.compile(dialect=dialect)
        text = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled)
        parameters = compiled.construct_params(page.parameters)
        rows = conn.execute(text, parameters).fetchall()  # type: ignore[call-overload]
        plan = "\n".join(r[0] for r in rows)
        plans.append(plan)
        for line in plan.splitlines():
            if line.startswith("Execution Time:"):
                total += float(line.split()[2])
    return "\n\n".join(plans), total


def report(url: str) -> None:
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        seed(conn)
        print(f"seeded {TOTAL_TASKS:,} tasks in {time.perf_counter() - started:.0f} s")
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE tasks")
        version = conn.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'}\n")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    with scratch_database(args.server_url, "todo_explain", keep=args.keep) as url:
        report(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
