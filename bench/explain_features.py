"""EXPLAIN ANALYZE at 1M tasks of the filters, the priority sort, the summary and the tag
counts, for the heavy user (60,000 tasks) and a typical one (~94).

    .venv/bin/python -m bench.explain_features [--server-url URL] [--keep]

Seeds the same throw-away database as ``bench.explain_pagination`` (``bench.seeding``:
priorities, 0-3 tags from a long-tailed vocabulary, due dates, reminders, recurrences),
then runs under EXPLAIN (ANALYZE, BUFFERS) the repository's own statements: the list
pages (``list_statements``), ``_SUMMARY`` and ``_TAG_COUNTS``, compiled for psycopg with
bound parameters. Each statement runs once to warm the cache, then five times; the plan
shown is the run with the median execution time.

Then the experiments, in the same database: the tag filter's first page (and two deeper
pages of the heavy user's) written three ways — the service's ``IN (… GROUP BY … HAVING
count(*) = n)``, one ``EXISTS`` per tag, and the proposed walk of the tag index,
``tag_walk`` — each with its custom plan and with the generic plan a statement prepared by
psycopg may get after five executions; the service's statement and the walk again with a
foreign key (task_id, user_id) → tasks (id, user_id); and the summary with a covering
index. Each schema change is made and undone here.
Prints Markdown: the tables, then every plan.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from psycopg.rows import dict_row

from adapters.sql.listing import list_statements
from adapters.sql.repository import _SUMMARY, _TAG_COUNTS
from adapters.sql.tables import TASK_TAGS, TASKS
from application.queries import SortField, SortOrder, TaskPosition, TaskQuery
from bench.explain_pagination import (
    DEEP_PAGE,
    HEAVY_USER,
    PAGE,
    cli,
    expand,
    explain_statement,
    position_at,
    rows_of,
    timed_plan,
)
from bench.seeding import TAGS

TYPICAL_USER = "user-00042"
USERS = (HEAVY_USER, TYPICAL_USER)
COMMON_TAG, SECOND_TAG, RARE_TAG = TAGS[0], TAGS[1], TAGS[-1]
TAG_FILTERS = {
    f"tag={COMMON_TAG} (common)": (COMMON_TAG,),
    f"tag={RARE_TAG} (rare)": (RARE_TAG,),
    f"tag={COMMON_TAG},{SECOND_TAG}": (COMMON_TAG, SECOND_TAG),
    f"tag={COMMON_TAG},{RARE_TAG}": (COMMON_TAG, RARE_TAG),
}
TODAY = date(2025, 12, 1)
DUE_FROM, DUE_TO = date(2025, 6, 1), date(2025, 6, 30)
REMIND_TO = datetime(2025, 3, 1, tzinfo=UTC)
RUNS = 5
# A way to EXPLAIN a statement with its parameters: the plan and its execution time (ms).
Explain = Callable[[psycopg.Connection, sa.ClauseElement, dict[str, Any]], tuple[str, float]]


@dataclass(frozen=True)
class Case:
    name: str
    owner: str
    statement: sa.ClauseElement
    parameters: dict[str, Any]


def list_case(name: str, owner: str, query: TaskQuery) -> Case:
    page = list_statements(owner, replace(query, limit=PAGE + 1))[0]
    return Case(name, owner, page.statement, page.parameters)


def cases(conn: psycopg.Connection, owner: str) -> list[Case]:
    found = [list_case(name, owner, TaskQuery(tags=tags)) for name, tags in TAG_FILTERS.items()]
    by_priority = TaskQuery(tags=(COMMON_TAG,), sort=SortField.PRIORITY)
    found.append(list_case(f"tag={COMMON_TAG}&sort=priority", owner, by_priority))
    for order in (SortOrder.DESC, SortOrder.ASC):
        first = TaskQuery(sort=SortField.PRIORITY, order=order, limit=PAGE + 1)
        found.append(list_case(f"sort=priority {order.value}, page 1", owner, first))
        if owner == HEAVY_USER:
            deep = replace(first, after=position_at(conn, first, (DEEP_PAGE - 1) * PAGE, owner))
            found.append(list_case(f"sort=priority {order.value}, page {DEEP_PAGE}", owner, deep))
    return [
        *found,
        list_case(f"due {DUE_FROM}..{DUE_TO}", owner, TaskQuery(due_from=DUE_FROM, due_to=DUE_TO)),
        list_case(f"due {TODAY} (one day)", owner, TaskQuery(due_from=TODAY, due_to=TODAY)),
        list_case(f"remind_to={REMIND_TO.date()}", owner, TaskQuery(remind_to=REMIND_TO)),
        summary_case(owner),
        Case("tag counts", owner, _TAG_COUNTS, {"owner": owner}),
    ]


def summary_case(owner: str) -> Case:
    return Case(f"summary (today={TODAY})", owner, _SUMMARY, {"owner": owner, "today": TODAY})


@dataclass(frozen=True)
class TagPage:
    """A page of ``tag=…`` (sort=created desc): the first, or the one after ``after``."""

    name: str
    owner: str
    tags: tuple[str, ...]
    after: TaskPosition | None = None

    def query(self, *, tags: bool = True) -> TaskQuery:
        return TaskQuery(tags=self.tags if tags else (), after=self.after, limit=PAGE + 1)


def tag_pages(conn: psycopg.Connection) -> list[TagPage]:
    """Every tag filter's first page for both users; two deeper pages for the heavy one."""
    first = [TagPage(name, owner, tags) for owner in USERS for name, tags in TAG_FILTERS.items()]
    deep = []
    for tags, page in (((COMMON_TAG,), 100), ((COMMON_TAG, SECOND_TAG), 40)):
        # The pages before it, read with the service's own statement: where they end.
        before = list_statements(HEAVY_USER, TaskQuery(tags=tags, limit=(page - 1) * PAGE))[0]
        expanded = expand(before.statement, before.parameters)
        with conn.cursor(row_factory=dict_row) as cur:
            last = cur.execute(expanded.statement, expanded.parameters).fetchall()[-1]
        after = TaskPosition(value=last["created_at"], task_id=last["id"])
        deep.append(TagPage(f"tag={','.join(tags)}, page {page}", HEAVY_USER, tags, after))
    return first + deep


def _tag_key(n: int) -> sa.BindParameter[str]:
    return sa.bindparam(f"tag_{n}", type_=TASK_TAGS.c.name_key.type)


def _tag_keys(page: TagPage) -> dict[str, str]:
    return {f"tag_{n}": key for n, key in enumerate(sorted(page.query().tag_keys))}


def service_tag_filter(page: TagPage) -> Case:
    return list_case(page.name, page.owner, page.query())


def exists_per_tag(page: TagPage) -> Case:
    """Rejected: one ``EXISTS`` semi-join per tag, which the planner may run either way
    round (walk the sort index and probe the tags, or read the tags and sort)."""
    base = list_case(page.name, page.owner, page.query(tags=False))
    statement = base.statement.where(  # type: ignore[attr-defined]
        *(
            sa.exists().where(
                TASK_TAGS.c.task_id == TASKS.c.id,
                TASK_TAGS.c.user_id == sa.bindparam("owner"),
                TASK_TAGS.c.name_key == _tag_key(n),
            )
            for n in range(len(page.tags))
        )
    )
    return Case(page.name, page.owner, statement, {**base.parameters, **_tag_keys(page)})


def tag_walk(page: TagPage) -> Case:
    """Proposed for sort=created: the page read off ``ix_task_tags_user_tag``, which
    holds each tag's tasks in creation order — ``tag_0`` walked in the page's order (from
    the cursor's position on: the only keyset bound), every other tag joined on
    (created_at, task_id) (a merge join of ordered index scans, or probes), then the page's
    tasks by primary key, every other filter of the page unchanged."""
    base = list_case(page.name, page.owner, replace(page.query(tags=False), after=None))
    aliases = [TASK_TAGS.alias(f"tag_{n}") for n in range(len(page.tags))]
    lead = aliases[0]
    statement = base.statement.join(lead, lead.c.task_id == TASKS.c.id)  # type: ignore[attr-defined]
    for alias in aliases[1:]:
        on = sa.and_(alias.c.task_id == lead.c.task_id, alias.c.created_at == lead.c.created_at)
        statement = statement.join(alias, on)
    for n, alias in enumerate(aliases):
        statement = statement.where(
            alias.c.user_id == sa.bindparam("owner"), alias.c.name_key == _tag_key(n)
        )
    parameters = {**base.parameters, **_tag_keys(page)}
    if page.after is not None:
        position = sa.tuple_(
            sa.bindparam("after_value", type_=lead.c.created_at.type),
            sa.bindparam("after_id", type_=lead.c.task_id.type),
        )
        statement = statement.where(sa.tuple_(lead.c.created_at, lead.c.task_id) < position)
        parameters |= {"after_value": page.after.value, "after_id": page.after.task_id}
    statement = statement.order_by(None).order_by(lead.c.created_at.desc(), lead.c.task_id.desc())
    return Case(page.name, page.owner, statement, parameters)


TAG_STATEMENTS = {
    "service: IN (… GROUP BY … HAVING)": service_tag_filter,
    "EXISTS per tag": exists_per_tag,
    "proposed: tag-index walk": tag_walk,
}
# The database's guarantee that a tag row's user_id is its task's owner: a foreign key on
# both columns (which needs a unique index on them in tasks). It also gives the planner a
# foreign-key join estimate for task_tags ⋈ tasks.
OWNER_FOREIGN_KEY = (
    [
        "CREATE UNIQUE INDEX ux_probe_tasks_id_user ON tasks (id, user_id)",
        "ALTER TABLE task_tags ADD CONSTRAINT fk_probe_task_tags_owner FOREIGN KEY"
        " (task_id, user_id) REFERENCES tasks (id, user_id) ON DELETE CASCADE",
    ],
    [
        "ALTER TABLE task_tags DROP CONSTRAINT fk_probe_task_tags_owner",
        "DROP INDEX ux_probe_tasks_id_user",
    ],
)
SUMMARY_INDEX = (
    [
        "CREATE INDEX ix_probe_tasks_user_summary ON tasks (user_id)"
        " INCLUDE (completed, due_date, priority)"
    ],
    ["DROP INDEX ix_probe_tasks_user_summary"],
)


@contextmanager
def schema_change(conn: psycopg.Connection, change: tuple[list[str], list[str]]) -> Iterator[None]:
    """Apply ``change`` (its statements, then ANALYZE) for the block, then undo it."""
    apply, undo = change
    for statement in apply:
        conn.execute(statement)
    conn.execute("VACUUM ANALYZE")
    try:
        yield
    finally:
        for statement in undo:
            conn.execute(statement)


def explain_generic(
    conn: psycopg.Connection, statement: sa.ClauseElement, parameters: dict[str, Any]
) -> tuple[str, float]:
    """Like ``explain_statement``, with the generic plan PostgreSQL caches for a prepared
    statement (``plan_cache_mode = force_generic_plan``)."""
    expanded = expand(statement, parameters, paramstyle="numeric_dollar")
    values = sql.SQL(", ").join(sql.Literal(expanded.parameters[p]) for p in expanded.positiontup)
    conn.execute("SET plan_cache_mode = force_generic_plan")
    conn.execute(sql.SQL("PREPARE probe AS {}").format(sql.SQL(expanded.statement)))
    try:
        explain = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE probe({})")
        return timed_plan(conn.execute(explain.format(values)).fetchall())
    finally:
        conn.execute("DEALLOCATE probe")
        conn.execute("RESET plan_cache_mode")


def run(
    conn: psycopg.Connection, case: Case, explain: Explain = explain_statement
) -> tuple[str, float]:
    """Warm up once, then the median of ``RUNS`` runs (its plan and its time); a statement
    that takes over a second is run once more only."""
    _, warm_up_ms = explain(conn, case.statement, case.parameters)
    runs = sorted(
        (
            explain(conn, case.statement, case.parameters)
            for _ in range(RUNS if warm_up_ms < 1000 else 1)
        ),
        key=lambda r: r[1],
    )
    return runs[len(runs) // 2]


def shape(plan: str) -> str:
    """The plan's nodes, outermost first: ``Limit > Index Scan Backward using ix_…``."""
    nodes = []
    for line in plan.splitlines():
        if "(actual" in line:
            node = line.split(" (actual")[0].strip().removeprefix("->").strip()
            nodes.append(re.sub(r" on \w+( \w+)?$", "", node))
    return " > ".join(nodes)


def row(label: str, case: Case, plan: str, ms: float) -> str:
    top = next(line for line in plan.splitlines() if "(actual" in line)
    rows = re.search(r"rows=(\d+)", top).group(1)  # type: ignore[union-attr]
    buffers = rows_of(plan, "Buffers:")[0].removeprefix("Buffers: shared ")
    return f"| {label} | {case.owner} | {shape(plan)} | {rows} | {buffers} | {ms:.3f} |"


HEADER = "| query | user | plan | rows | buffers | ms |\n|---|---|---|---|---|---|"


def report(conn: psycopg.Connection) -> None:
    plans: list[tuple[str, Case, str]] = []

    def table(title: str, runs: list[tuple[str, Case, tuple[str, float]]]) -> None:
        print(f"### {title}\n\n{HEADER}")
        for label, case, (plan, ms) in runs:
            print(row(label, case, plan, ms))
            plans.append((f"{label}, {title}", case, plan))
        print()

    table(
        "The service's statements",
        [(case.name, case, run(conn, case)) for owner in USERS for case in cases(conn, owner)],
    )
    plan_kinds: tuple[tuple[str, Explain], ...] = (
        ("custom", explain_statement),
        ("generic", explain_generic),
    )

    pages = tag_pages(conn)

    def tag_runs(statements: dict[str, Any]) -> list[tuple[str, Case, tuple[str, float]]]:
        return [
            (f"{page.name}: {statement}, {kind} plan", case, run(conn, case, explain))
            for page in pages
            for statement, build in statements.items()
            for case in [build(page)]
            for kind, explain in plan_kinds
        ]

    table("Tag filter, sort=created desc: three statements", tag_runs(TAG_STATEMENTS))
    with schema_change(conn, OWNER_FOREIGN_KEY):
        table(
            "Tag filter with a foreign key (task_id, user_id) → tasks (id, user_id)",
            tag_runs({"service": service_tag_filter, "proposed: tag-index walk": tag_walk}),
        )
    with schema_change(conn, SUMMARY_INDEX):
        table(
            "Summary with a covering index (user_id) INCLUDE (completed, due_date, priority)",
            [
                (case.name, case, run(conn, case))
                for case in (summary_case(owner) for owner in USERS)
            ],
        )
    print("## Plans")
    for title, case, plan in plans:
        print(f"\n### {title} ({case.owner})\n\n```\n{plan}\n```")


if __name__ == "__main__":
    sys.exit(cli(report, __doc__))
