"""Pieces shared by the task routers: parameters, identity, response shaping."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from application.errors import AccessDenied
from application.pagination import decode_cursor, encode_cursor
from application.ports import Identity
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery
from application.use_cases import GetTask, ListTasks
from domain.task import Task
from entrypoints.http.preconditions import etag_of, expected_version, parse_if_match
from entrypoints.http.security import current_identity
from entrypoints.presentation import dump_json, task_document

CurrentUser = Annotated[Identity, Depends(current_identity)]
JSON = "application/json"


async def path_owner(user_id: str, identity: CurrentUser) -> Identity:
    """The compatibility routes name the user in the path; it must be the caller."""
    if user_id != identity.user_id:
        raise AccessDenied("the path names another user than the token's subject")
    return identity


PathOwner = Annotated[Identity, Depends(path_owner)]


async def list_query(
    status: Annotated[StatusFilter, Query()] = StatusFilter.ALL,
    sort: Annotated[SortField, Query()] = SortField.CREATED,
    order: Annotated[
        SortOrder | None,
        Query(description="Default: desc for created/updated, asc for title/due_date"),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Case-insensitive text in title or description",
            json_schema_extra={"pattern": "^[^\\x00]*$"},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="From the `Link: rel=next` header")
    ] = None,
) -> TaskQuery:
    query = TaskQuery(status=status, sort=sort, order=order, limit=limit, search=q)
    if cursor is None:
        return query
    return replace(query, after=decode_cursor(cursor, query))


ListQuery = Annotated[TaskQuery, Depends(list_query)]


def task_response(task: Task, status_code: int = 200, **headers: str) -> Response:
    return Response(
        dump_json(task_document(task)),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag_of(task), **headers},
    )


async def list_response(
    request: Request, owner: str, query: TaskQuery, use_case: ListTasks
) -> Response:
    page = await use_case.execute(owner, query)
    headers = {}
    if page.next_position is not None:
        next_url = request.url.include_query_params(cursor=encode_cursor(query, page.next_position))
        headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    body = dump_json([task_document(task) for task in page.items])
    return Response(body, media_type=JSON, headers=headers)


async def expected_version_for(
    owner: str, task_id: uuid.UUID, if_match: str | None, get_task: GetTask
) -> int | None:
    """The version an ``If-Match`` request must find; reads the task only when the header's
    tags do not name exactly one version (several, or none we could have issued)."""

    async def current_version() -> int:
        return (await get_task.execute(owner, task_id)).version

    return await expected_version(task_id, parse_if_match(if_match), current_version)
