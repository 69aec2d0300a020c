"""``/api/tasks``: the caller's tasks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from entrypoints.http.dependencies import (
    CreateTaskUseCase,
    DeleteTaskUseCase,
    GetTaskUseCase,
    ListTasksUseCase,
    UpdateTaskUseCase,
)
from entrypoints.http.preconditions import (
    CREATE_DESCRIPTION,
    IdempotencyKeyHeader,
    IfMatch,
    parse_idempotency_key,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.routers.common import (
    CurrentUser,
    ListQuery,
    expected_version_for,
    list_response,
    task_response,
)
from entrypoints.http.schemas import TaskCreate, TaskOut, TaskPatch, TaskReplace
from entrypoints.http.strict import StrictRoute

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses=documented_errors(401, 503),
    route_class=StrictRoute,
)


@router.get(
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
async def list_tasks(
    request: Request, identity: CurrentUser, query: ListQuery, use_case: ListTasksUseCase
) -> Response:
    return await list_response(request, identity.user_id, query, use_case)


@router.post(
    "",
    summary="Create a task",
    description=CREATE_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=documented_errors(400, 409, 413, 422),
)
async def create_task(
    body: TaskCreate,
    identity: CurrentUser,
    use_case: CreateTaskUseCase,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    task = await use_case.execute(
        identity.user_id, body.new_task(), idempotency_key=parse_idempotency_key(idempotency_key)
    )
    return task_response(task, 201, Location=f"/api/tasks/{task.id}")


@router.get(
    "/{task_id}",
    summary="Get one task",
    response_model=TaskOut,
    responses=documented_errors(404, 422),
)
async def get_task(task_id: uuid.UUID, identity: CurrentUser, use_case: GetTaskUseCase) -> Response:
    return task_response(await use_case.execute(identity.user_id, task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
async def replace_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
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
async def patch_task(
    task_id: uuid.UUID,
    body: TaskPatch,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
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
async def delete_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    use_case: DeleteTaskUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    await use_case.execute(identity.user_id, task_id, expected_version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
