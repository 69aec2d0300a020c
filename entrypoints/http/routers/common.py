"""Pieces shared by the task routers: parameters, identity, response shaping."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import TypeAdapter

from application.errors import AccessDenied
from application.pagination import decode_cursor, encode_cursor
from application.ports import Identity
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery
from application.use_cases import GetTask, ListTasks
from domain.task import Task
from entrypoints.http.preconditions import etag_of, expected_version, parse_if_match
from entrypoints.http.schemas import TaskOut
from entrypoints.http.security import current_identity

CurrentUser = Annotated[Identity, Depends(current_identity)]
JSON = "application/json"
_task_list = TypeAdapter(list[TaskOut])


async def path_owner(user_id: str, identity: CurrentUser) -> Identity:
    """The compatibility routes name the user in the path; it must be the caller."""
    if user_id != identity.user_id:
        raise AccessDenied("the path names another user than the token's subject")
    return identity


PathOwner = Annotated[Identity, Depends(path_owner)]


@dataclass
class ListParams:
    status: Annotated[StatusFilter, Query()] = StatusFilter.ALL
    sort: Annotated[SortField, Query()] = SortField.CREATED
    order: Annotated[
        SortOrder | None,
        Query(description="Default: desc for created/updated, asc for title/due_date"),
    ] = None
    q: Annotated[
        str | None,
        Query(max_length=200, description="Case-insensitive text in title or description"),
    ] = None
    limit: Annotated[int, Query(ge=1, le=200)] = 100
    cursor: Annotated[
        str | None, Query(max_length=1024, description="From the `Link: rel=next` header")
    ] = None

    def query(self) -> TaskQuery:
        query = TaskQuery(
            status=self.status, sort=self.sort, order=self.order, limit=self.limit, search=self.q
        )
        if self.cursor is None:
            return query
        return TaskQuery(
            status=self.status,
            sort=self.sort,
            order=self.order,
            limit=self.limit,
            search=self.q,
            after=decode_cursor(self.cursor, query),
        )


def task_response(task: Task, status_code: int = 200, **headers: str) -> Response:
    return Response(
        TaskOut.of(task).model_dump_json(),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag_of(task), **headers},
    )


async def list_response(
    request: Request, owner: str, params: ListParams, use_case: ListTasks
) -> Response:
    query = params.query()
    page = await use_case.execute(owner, query)
    headers = {}
    if page.next_position is not None:
        next_url = request.url.include_query_params(cursor=encode_cursor(query, page.next_position))
        headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    body = _task_list.dump_json([TaskOut.of(task) for task in page.items])
    return Response(body, media_type=JSON, headers=headers)


async def expected_version_for(
    owner: str, task_id: uuid.UUID, if_match: str | None, get_task: GetTask
) -> int | None:
    """The version an ``If-Match`` request must find; reads the task only when the header
    lists several different tags."""

    async def current_version() -> int:
        return (await get_task.execute(owner, task_id)).version

    return await expected_version(task_id, parse_if_match(if_match), current_version)
