"""``/api/tasks``: the caller's tasks."""

from __future__ import annotations

import uuid
from typing import Annotated

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import TypeAdapter

from application.pagination import decode_cursor, encode_cursor
from application.ports import Identity
from application.queries import SortField, SortOrder, StatusFilter, TaskQuery
from application.use_cases import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    NewTask,
    UpdateTask,
)
from domain.task import Task
from entrypoints.http.preconditions import etag_of, expected_version, parse_if_match
from entrypoints.http.problems import documented_errors
from entrypoints.http.schemas import TaskCreate, TaskOut, TaskPatch, TaskReplace
from entrypoints.http.security import current_identity

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=documented_errors(401, 503))

CurrentUser = Annotated[Identity, Depends(current_identity)]
IfMatch = Annotated[
    str | None,
    Header(
        description='Only act if the task\'s ETag is one of these (e.g. `"3"`), else 412.',
        max_length=1024,
    ),
]
_task_list = TypeAdapter(list[TaskOut])
JSON = "application/json"


def task_response(task: Task, status_code: int = 200, **headers: str) -> Response:
    return Response(
        TaskOut.of(task).model_dump_json(),
        status_code=status_code,
        media_type=JSON,
        headers={"ETag": etag_of(task), **headers},
    )


@router.get(
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
@inject
async def list_tasks(
    request: Request,
    identity: CurrentUser,
    status_filter: Annotated[StatusFilter, Query(alias="status")] = StatusFilter.ALL,
    sort: SortField = SortField.CREATED,
    order: Annotated[
        SortOrder | None,
        Query(description="Default: desc for created/updated, asc for title/due_date"),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Case-insensitive text in title or description"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="From the `Link: rel=next` header")
    ] = None,
    use_case: ListTasks = Depends(Provide["list_tasks"]),
) -> Response:
    query = TaskQuery(status=status_filter, sort=sort, order=order, limit=limit, search=q)
    if cursor is not None:
        query = TaskQuery(
            status=status_filter,
            sort=sort,
            order=order,
            limit=limit,
            search=q,
            after=decode_cursor(cursor, query),
        )
    page = await use_case.execute(identity.user_id, query)
    headers = {}
    if page.next_position is not None:
        next_url = request.url.include_query_params(cursor=encode_cursor(query, page.next_position))
        headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    body = _task_list.dump_json([TaskOut.of(task) for task in page.items])
    return Response(body, media_type=JSON, headers=headers)


@router.post(
    "",
    summary="Create a task",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=documented_errors(400, 413, 422),
)
@inject
async def create_task(
    body: TaskCreate,
    identity: CurrentUser,
    use_case: CreateTask = Depends(Provide["create_task"]),
) -> Response:
    new = NewTask(
        title=body.title,
        description=body.description,
        completed=body.completed,
        due_date=body.due_date,
    )
    task = await use_case.execute(identity.user_id, new)
    return task_response(task, 201, Location=f"/api/tasks/{task.id}")


@router.get(
    "/{task_id}",
    summary="Get one task",
    response_model=TaskOut,
    responses=documented_errors(404, 422),
)
@inject
async def get_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    use_case: GetTask = Depends(Provide["get_task"]),
) -> Response:
    return task_response(await use_case.execute(identity.user_id, task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
@inject
async def replace_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: CurrentUser,
    if_match: IfMatch = None,
    use_case: UpdateTask = Depends(Provide["update_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await _expected(identity, task_id, if_match, get_task)
    task = await use_case.execute(
        identity.user_id, task_id, body.changes(), expected_version=version
    )
    return task_response(task)


@router.patch(
    "/{task_id}",
    summary="Change some of a task's fields",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
@inject
async def patch_task(
    task_id: uuid.UUID,
    body: TaskPatch,
    identity: CurrentUser,
    if_match: IfMatch = None,
    use_case: UpdateTask = Depends(Provide["update_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await _expected(identity, task_id, if_match, get_task)
    task = await use_case.execute(
        identity.user_id, task_id, body.changes(), expected_version=version
    )
    return task_response(task)


@router.delete(
    "/{task_id}",
    summary="Delete a task",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented_errors(400, 404, 412, 422),
)
@inject
async def delete_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    if_match: IfMatch = None,
    use_case: DeleteTask = Depends(Provide["delete_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await _expected(identity, task_id, if_match, get_task)
    await use_case.execute(identity.user_id, task_id, expected_version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _expected(
    identity: Identity, task_id: uuid.UUID, if_match: str | None, get_task: GetTask
) -> int | None:
    async def current_version() -> int:
        return (await get_task.execute(identity.user_id, task_id)).version

    return await expected_version(task_id, parse_if_match(if_match), current_version)
