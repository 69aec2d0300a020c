"""The SELECTs behind one page of a user's tasks (keyset pagination).

Each statement is a range scan of one per-user index — ``(user_id, <sort column>, id)`` —
from the page's start position, in the index's order (forwards or backwards), stopped by
LIMIT: the 500th page costs what the first does. The position is compared as a row value,
``(sort column, id) > (value, id)``, which PostgreSQL turns into an index bound (an OR of
the two columns would only be a filter).

A nullable sort column (the due date) sorts its nulls last in both orders. A single index
order cannot give that for both directions, so that sort reads the tasks with a value first
and then, if the page is not full, those without (``IS NULL``, ordered by id): two range
scans of the same index instead of a sort of the user's whole set.

Statements are built once per query shape (sort, order, filters, kind of position) with
bound parameters, and reused: SQLAlchemy then finds its compiled form without rebuilding
and re-hashing the statement on every request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa

from adapters.ordering import search_key, title_sort_key
from adapters.sql.mapping import TASK_COLUMNS, as_utc
from adapters.sql.tables import SORT_COLUMNS, TASK_TAGS, TASKS
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery

_LIKE_ESCAPE = "/"


class _Start(Enum):
    FIRST_PAGE = "first"
    AFTER_VALUE = "after value"
    AFTER_NULL = "after null"  # the previous page ended among the tasks without a value


@dataclass(frozen=True)
class _Shape:
    sort: SortField
    descending: bool
    status: StatusFilter
    searching: bool
    start: _Start
    # Which of the optional filters are on (their values are parameters).
    priorities: bool = False
    tags: bool = False
    due_from: bool = False
    due_to: bool = False
    remind_to: bool = False


@dataclass(frozen=True)
class PageStatement:
    """A statement to run, with its parameters; ``LIMIT`` is the ``limit`` parameter."""

    statement: sa.Select[Any]
    parameters: dict[str, Any]


def list_statements(owner: str, query: TaskQuery) -> list[PageStatement]:
    """The statements to run in order; the caller stops once it has ``query.limit`` rows."""
    after = query.after
    if after is None:
        start = _Start.FIRST_PAGE
    elif after.value is None and SORT_COLUMNS[query.sort].nullable:
        start = _Start.AFTER_NULL
    else:
        start = _Start.AFTER_VALUE
    shape = _Shape(
        sort=query.sort,
        descending=query.direction is SortOrder.DESC,
        status=query.status,
        searching=query.search_term is not None,
        start=start,
        priorities=query.priorities is not None,
        tags=bool(query.tags),
        due_from=query.due_from is not None,
        due_to=query.due_to is not None,
        remind_to=query.remind_to is not None,
    )
    parameters: dict[str, Any] = {"owner": owner, "limit": query.limit}
    if query.priorities is not None:
        parameters["priorities"] = sorted(p.rank for p in query.priorities)
    if query.tags:
        parameters["tag_keys"] = sorted(query.tag_keys)
        parameters["tag_count"] = len(query.tag_keys)
    if query.due_from is not None:
        parameters["due_from"] = query.due_from
    if query.due_to is not None:
        parameters["due_to"] = query.due_to
    if query.remind_to is not None:
        parameters["remind_to"] = as_utc(query.remind_to)
    term = query.search_term
    if term is not None:
        parameters["pattern"] = f"%{_escape_like(search_key(term))}%"
    if after is not None:
        parameters["after_id"] = after.task_id
        parameters["after_value"] = _after_value(query)
    return [PageStatement(statement, parameters) for statement in _statements(shape)]


@functools.lru_cache(maxsize=512)
def _statements(shape: _Shape) -> tuple[sa.Select[Any], ...]:
    column = SORT_COLUMNS[shape.sort]
    if not column.nullable:
        return (_scan(shape, column, with_value_only=False),)
    if shape.start is _Start.AFTER_NULL:
        return (_null_scan(shape, column, from_start=False),)
    return (
        _scan(shape, column, with_value_only=True),
        _null_scan(shape, column, from_start=True),
    )


def _filtered(shape: _Shape) -> sa.Select[Any]:
    statement = sa.select(*TASK_COLUMNS).where(TASKS.c.user_id == sa.bindparam("owner"))
    if shape.status is StatusFilter.PENDING:
        statement = statement.where(TASKS.c.completed.is_(False))
    elif shape.status is StatusFilter.COMPLETED:
        statement = statement.where(TASKS.c.completed.is_(True))
    if shape.searching:
        pattern = sa.bindparam("pattern", type_=sa.Text())
        statement = statement.where(
            sa.or_(
                TASKS.c.title_key.like(pattern, escape=_LIKE_ESCAPE),
                TASKS.c.description_key.like(pattern, escape=_LIKE_ESCAPE),
            )
        )
    if shape.priorities:
        statement = statement.where(
            TASKS.c.priority.in_(sa.bindparam("priorities", expanding=True))
        )
    if shape.tags:
        statement = statement.where(TASKS.c.id.in_(_WITH_ALL_TAGS))
    if shape.due_from:
        statement = statement.where(TASKS.c.due_date >= sa.bindparam("due_from"))
    if shape.due_to:
        statement = statement.where(TASKS.c.due_date <= sa.bindparam("due_to"))
    if shape.remind_to:
        statement = statement.where(TASKS.c.remind_at <= sa.bindparam("remind_to"))
    return statement


# The owner's tasks that carry every tag asked for: found through the tag index
# (user_id, name_key, …), each task once per matching tag.
_WITH_ALL_TAGS = (
    sa.select(TASK_TAGS.c.task_id)
    .where(
        TASK_TAGS.c.user_id == sa.bindparam("owner"),
        TASK_TAGS.c.name_key.in_(sa.bindparam("tag_keys", expanding=True)),
    )
    .group_by(TASK_TAGS.c.task_id)
    .having(sa.func.count() == sa.bindparam("tag_count", type_=sa.Integer()))
)


def _scan(shape: _Shape, column: sa.Column[Any], *, with_value_only: bool) -> sa.Select[Any]:
    statement = _filtered(shape)
    if with_value_only:
        statement = statement.where(column.is_not(None))
    if shape.start is _Start.AFTER_VALUE:
        here = sa.tuple_(column, TASKS.c.id)
        position = sa.tuple_(
            sa.bindparam("after_value", type_=column.type),
            sa.bindparam("after_id", type_=TASKS.c.id.type),
        )
        statement = statement.where(here < position if shape.descending else here > position)
    return _ordered(statement, shape.descending, column)


def _null_scan(shape: _Shape, column: sa.Column[Any], *, from_start: bool) -> sa.Select[Any]:
    statement = _filtered(shape).where(column.is_(None))
    if not from_start:
        after_id = sa.bindparam("after_id", type_=TASKS.c.id.type)
        statement = statement.where(
            TASKS.c.id < after_id if shape.descending else TASKS.c.id > after_id
        )
    # Ordering by the column too (all NULL here) lets the planner walk the same index.
    return _ordered(statement, shape.descending, column)


def _ordered(statement: sa.Select[Any], descending: bool, column: sa.Column[Any]) -> sa.Select[Any]:
    columns = (column, TASKS.c.id)
    order = [c.desc() if descending else c.asc() for c in columns]
    return statement.order_by(*order).limit(sa.bindparam("limit", type_=sa.Integer()))


def _escape_like(text: str) -> str:
    """``%``, ``_`` and the escape character itself match literally."""
    return (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


def _after_value(query: TaskQuery) -> Any:
    if query.after is None:
        return None
    value = query.after.value
    if query.sort is SortField.TITLE and isinstance(value, str):
        return title_sort_key(value)
    if isinstance(value, datetime):
        return as_utc(value)
    return value
