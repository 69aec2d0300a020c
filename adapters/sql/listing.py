"""The SELECTs behind one page of a user's tasks (keyset pagination).

Each statement is a range scan of one per-user index — ``(user_id, <sort column>, id)`` —
from the page's start position, in the index's order (forwards or backwards), stopped by
LIMIT: the 500th page costs what the first does. The position is compared as a row value,
``(sort column, id) > (value, id)``, which PostgreSQL turns into an index bound (an OR of
the two columns would only be a filter).

Due dates sort with nulls last in both orders. A single index order cannot give that for
both directions, so that sort reads the dated tasks first and then, if the page is not
full, the undated ones (``due_date IS NULL``, ordered by id): two range scans of the same
index instead of a sort of the user's whole set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from adapters.ordering import search_key, title_sort_key
from adapters.sql.mapping import as_utc
from adapters.sql.tables import TaskRow
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery

_SORT_COLUMNS: dict[SortField, Any] = {
    SortField.CREATED: col(TaskRow.created_at),
    SortField.UPDATED: col(TaskRow.updated_at),
    SortField.TITLE: col(TaskRow.title_key),
    SortField.DUE_DATE: col(TaskRow.due_date),
}


def list_statements(owner: str, query: TaskQuery) -> list[SelectOfScalar[TaskRow]]:
    """The statements to run in order, each limited to ``query.limit`` rows; the caller
    stops once it has ``query.limit`` rows."""
    column = _SORT_COLUMNS[query.sort]
    if query.sort is not SortField.DUE_DATE:
        return [_scan(owner, query, column, _after_value(query))]
    after = query.after
    if after is not None and after.value is None:
        # The previous page ended among the undated tasks: only those remain.
        return [_undated_scan(owner, query)]
    dated = _scan(owner, query, column, after.value if after else None, dated_only=True)
    return [dated, _undated_scan(owner, query, from_start=True)]


def _filtered(owner: str, query: TaskQuery) -> SelectOfScalar[TaskRow]:
    statement = select(TaskRow).where(col(TaskRow.user_id) == owner)
    if query.status is StatusFilter.PENDING:
        statement = statement.where(col(TaskRow.completed).is_(False))
    elif query.status is StatusFilter.COMPLETED:
        statement = statement.where(col(TaskRow.completed).is_(True))
    term = query.search_term
    if term is not None:
        needle = search_key(term)
        # autoescape makes '%', '_' and the escape character literal in the LIKE pattern.
        statement = statement.where(
            sa.or_(
                col(TaskRow.title_key).contains(needle, autoescape=True),
                col(TaskRow.description_key).contains(needle, autoescape=True),
            )
        )
    return statement


def _scan(
    owner: str,
    query: TaskQuery,
    column: Any,
    after_value: Any,
    *,
    dated_only: bool = False,
) -> SelectOfScalar[TaskRow]:
    descending = query.direction is SortOrder.DESC
    id_column: Any = col(TaskRow.id)
    statement = _filtered(owner, query)
    if dated_only:
        statement = statement.where(column.is_not(None))
    if query.after is not None and after_value is not None:
        here = sa.tuple_(column, id_column)
        position = sa.tuple_(
            sa.literal(after_value, column.type), sa.literal(query.after.task_id, id_column.type)
        )
        statement = statement.where(here < position if descending else here > position)
    return statement.order_by(*_directed(descending, column, id_column)).limit(query.limit)


def _undated_scan(
    owner: str, query: TaskQuery, *, from_start: bool = False
) -> SelectOfScalar[TaskRow]:
    descending = query.direction is SortOrder.DESC
    id_column = col(TaskRow.id)
    statement = _filtered(owner, query).where(col(TaskRow.due_date).is_(None))
    if query.after is not None and not from_start:
        after_id = query.after.task_id
        statement = statement.where(id_column < after_id if descending else id_column > after_id)
    # Ordering by due_date too (all NULL here) lets the planner walk the same index.
    return statement.order_by(*_directed(descending, col(TaskRow.due_date), id_column)).limit(
        query.limit
    )


def _directed(descending: bool, *columns: Any) -> list[Any]:
    return [c.desc() if descending else c.asc() for c in columns]


def _after_value(query: TaskQuery) -> Any:
    if query.after is None:
        return None
    value = query.after.value
    if query.sort is SortField.TITLE and isinstance(value, str):
        return title_sort_key(value)
    if isinstance(value, datetime):
        return as_utc(value)
    return value
