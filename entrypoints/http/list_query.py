"""The list query of ``GET /api/tasks``: filters, sort, search and page position, read
from the query string into a ``TaskQuery`` (a dependency of the list routes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Query

from application.pagination import MAX_CURSOR_LENGTH
from application.queries import (
    DEFAULT_ORDER,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SEARCH_LENGTH,
    SortField,
    SortOrder,
    StatusFilter,
    TaskQuery,
    parse_priority_list,
    parse_tag_list,
)
from domain.task import Priority
from entrypoints.http.dependencies import Cursors
from entrypoints.http.schemas import DateTime, DueDate

# The list parameters' grammars, published in the schema (and in the MCP list_tasks tool's).
# A comma-separated list of priorities or of at most 20 tags is far shorter than this.
LIST_PARAMETER_LENGTH = 1200
_PRIORITY_NAMES = "|".join(Priority)
PRIORITY_LIST_PATTERN = f"^({_PRIORITY_NAMES})(,({_PRIORITY_NAMES}))*$"
TAG_LIST_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
SEARCH_PATTERN = "^[^\\x00]*$"


def default_orders() -> str:
    """Each order and the sorts it is the default of ("desc for created/updated, …")."""
    sorts_by_order: dict[SortOrder, list[str]] = {}
    for sort, order in DEFAULT_ORDER.items():
        sorts_by_order.setdefault(order, []).append(sort.value)
    return ", ".join(f"{order} for {'/'.join(sorts)}" for order, sorts in sorts_by_order.items())


def _text(description: str, max_length: int, pattern: str) -> Any:
    """A text parameter: its length and grammar, published in the schema."""
    return Query(
        max_length=max_length, description=description, json_schema_extra={"pattern": pattern}
    )


async def list_query(
    cursors: Cursors,
    status: Annotated[StatusFilter, Query()] = StatusFilter.ALL,
    sort: Annotated[SortField, Query()] = SortField.CREATED,
    order: Annotated[SortOrder | None, Query(description=f"Default: {default_orders()}")] = None,
    q: Annotated[
        str | None,
        _text("Case-insensitive text in title or description", MAX_SEARCH_LENGTH, SEARCH_PATTERN),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="From the `Link: rel=next` header"),
    ] = None,
    priority: Annotated[
        str | None,
        _text(
            "Any of these priorities, comma-separated (e.g. `high,medium`)",
            LIST_PARAMETER_LENGTH,
            PRIORITY_LIST_PATTERN,
        ),
    ] = None,
    tag: Annotated[
        str | None,
        _text(
            "Tasks carrying all of these tags (ignoring case), comma-separated",
            LIST_PARAMETER_LENGTH,
            TAG_LIST_PATTERN,
        ),
    ] = None,
    due_from: Annotated[DueDate | None, Query(description="Due on or after (YYYY-MM-DD)")] = None,
    due_to: Annotated[DueDate | None, Query(description="Due on or before (YYYY-MM-DD)")] = None,
    remind_to: Annotated[
        DateTime | None, Query(description="A reminder at or before this date-time")
    ] = None,
) -> TaskQuery:
    query = TaskQuery(
        status=status,
        sort=sort,
        order=order,
        limit=limit,
        search=q,
        priorities=parse_priority_list(priority) if priority is not None else None,
        tags=parse_tag_list(tag) if tag is not None else (),
        due_from=due_from,
        due_to=due_to,
        remind_to=remind_to,
    )
    if cursor is None:
        return query
    return replace(query, after=await cursors.decode(cursor, query))


ListQuery = Annotated[TaskQuery, Depends(list_query)]
