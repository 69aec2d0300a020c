"""The list query of ``GET /api/tasks``: filters, sort, search and page position, read
from the query string into a ``TaskQuery`` (a dependency of the list routes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends
from pydantic import BaseModel, Field

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
from entrypoints.http.query_models import QueryModel
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
    """An optional text parameter: its length and grammar, published in the schema."""
    return Field(
        None, max_length=max_length, description=description, json_schema_extra={"pattern": pattern}
    )


class ListParameters(BaseModel):
    """The list query string, as validated (in one go, query_models.py) and published."""

    status: StatusFilter = StatusFilter.ALL
    sort: SortField = SortField.CREATED
    order: SortOrder | None = Field(None, description=f"Default: {default_orders()}")
    q: str | None = _text(
        "Case-insensitive text in title or description", MAX_SEARCH_LENGTH, SEARCH_PATTERN
    )
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_LENGTH, description="From the `Link: rel=next` header"
    )
    priority: str | None = _text(
        "Any of these priorities, comma-separated (e.g. `high,medium`)",
        LIST_PARAMETER_LENGTH,
        PRIORITY_LIST_PATTERN,
    )
    tag: str | None = _text(
        "Tasks carrying all of these tags (ignoring case), comma-separated",
        LIST_PARAMETER_LENGTH,
        TAG_LIST_PATTERN,
    )
    due_from: DueDate | None = Field(None, description="Due on or after (YYYY-MM-DD)")
    due_to: DueDate | None = Field(None, description="Due on or before (YYYY-MM-DD)")
    remind_to: DateTime | None = Field(None, description="A reminder at or before this date-time")


async def list_query(
    cursors: Cursors,
    parameters: Annotated[ListParameters, Depends(QueryModel(ListParameters))],
) -> TaskQuery:
    query = TaskQuery(
        status=parameters.status,
        sort=parameters.sort,
        order=parameters.order,
        limit=parameters.limit,
        search=parameters.q,
        priorities=parse_priority_list(parameters.priority)
        if parameters.priority is not None
        else None,
        tags=parse_tag_list(parameters.tag) if parameters.tag is not None else (),
        due_from=parameters.due_from,
        due_to=parameters.due_to,
        remind_to=parameters.remind_to,
    )
    if parameters.cursor is None:
        return query
    return replace(query, after=await cursors.decode(parameters.cursor, query))


ListQuery = Annotated[TaskQuery, Depends(list_query)]
