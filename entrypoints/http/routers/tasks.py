"""The task routes: module-level endpoints, each parsing its input, calling one use case and
shaping the response. ``on_both_shapes`` registers an endpoint on ``/api/tasks`` (``router``)
and on the compatibility shape ``/api/{user_id}/tasks`` (``compat.router``); the writes with
a body are here for ``/api/tasks`` (strict bodies) and in ``compat`` for the other shape
(lenient bodies), both doing what ``writes`` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request, Response, status

from application.task_document import task_document
from entrypoints.http.dependencies import (
    BatchEditTasksUseCase,
    ClearCompletedTasksUseCase,
    CreateTaskUseCase,
    Cursors,
    DeleteTaskUseCase,
    GetTaskUseCase,
    ListTasksUseCase,
    ToggleTaskCompletionUseCase,
    UpdateTaskUseCase,
)
from entrypoints.http.list_query import ListQuery
from entrypoints.http.preconditions import (
    IdempotencyKeyHeader,
    IfMatch,
    IfNoneMatch,
    parse_if_match,
    parse_if_none_match,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.responses import JSON, next_page_url, task_response_for
from entrypoints.http.routers import compat, writes
from entrypoints.http.schemas import (
    BatchIn,
    BatchOut,
    Cleared,
    CompletionIn,
    TaskCreate,
    TaskOut,
    TaskPatch,
    TaskReplace,
)
from entrypoints.http.security import CurrentUser
from entrypoints.http.strict import StrictRoute
from entrypoints.presentation import dump_json

router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses=documented_errors(401, 429, 503),
    route_class=StrictRoute,
)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])


def on_both_shapes(
    method: str, path: str, *, operation_id: str, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Register the decorated endpoint at ``path`` under both URL shapes, as ``operation_id``
    here and as its compatibility-shape id there (``compat.operation_id``)."""

    def register(endpoint: Endpoint) -> Endpoint:
        for shape, shape_id in (
            (router, operation_id),
            (compat.router, compat.operation_id(operation_id)),
        ):
            shape.add_api_route(path, endpoint, methods=[method], operation_id=shape_id, **options)
        return endpoint

    return register


@on_both_shapes(
    "GET",
    "",
    operation_id="listTasks",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
async def list_tasks(
    request: Request,
    identity: CurrentUser,
    query: ListQuery,
    use_case: ListTasksUseCase,
    cursors: Cursors,
) -> Response:
    page = await use_case.execute(identity.user_id, query)
    headers = {}
    if page.next_position is not None:
        cursor = await cursors.encode(query, page.next_position)
        headers["Link"] = f'<{next_page_url(request, cursor)}>; rel="next"'
    body = dump_json([task_document(task) for task in page.items])
    return Response(body, media_type=JSON, headers=headers)


@router.post("", operation_id="createTask", **writes.CREATE)
async def create_task(
    request: Request,
    body: TaskCreate,
    identity: CurrentUser,
    use_case: CreateTaskUseCase,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    return await writes.create(
        request, use_case, identity.user_id, body.new_task(), idempotency_key
    )


@on_both_shapes(
    "GET",
    "/{task_id:uuid}",
    operation_id="getTask",
    summary="Get one task",
    description="With `If-None-Match` naming its current ETag: 304 and no body.",
    response_model=TaskOut,
    responses={
        304: {"description": "Not Modified: `If-None-Match` names the task's current ETag"},
        **documented_errors(400, 404, 422),
    },
)
async def get_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    use_case: GetTaskUseCase,
    if_none_match: IfNoneMatch = None,
) -> Response:
    held = parse_if_none_match(if_none_match)
    return task_response_for(await use_case.execute(identity.user_id, task_id), held)


@router.put(
    "/{task_id:uuid}",
    operation_id="replaceTask",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    **writes.EDIT,
)
async def replace_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    return await writes.update(use_case, identity.user_id, task_id, body.changes(), if_match)


@on_both_shapes(
    "DELETE",
    "/{task_id:uuid}",
    operation_id="deleteTask",
    summary="Delete a task",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented_errors(400, 404, 412, 422),
)
async def delete_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    use_case: DeleteTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    await use_case.execute(identity.user_id, task_id, accepted_versions=parse_if_match(if_match))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/{task_id:uuid}",
    operation_id="patchTask",
    summary="Change some of a task's fields",
    **writes.EDIT,
)
async def patch_task(
    task_id: uuid.UUID,
    body: TaskPatch,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    return await writes.update(use_case, identity.user_id, task_id, body.changes(), if_match)


@router.patch(
    "/{task_id:uuid}/toggle",
    operation_id="toggleTask",
    summary="Toggle a task's completion, or set it",
    description=writes.COMPLETE_DESCRIPTION,
    **writes.EDIT,
)
async def toggle_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    toggle: ToggleTaskCompletionUseCase,
    set_fields: UpdateTaskUseCase,
    body: CompletionIn | None = None,
    if_match: IfMatch = None,
) -> Response:
    changes = None if body is None else body.changes()
    return await writes.complete(toggle, set_fields, identity.user_id, task_id, changes, if_match)


@router.post(
    "/batch",
    operation_id="batchEditTasks",
    summary="Complete, reopen or delete several tasks at once",
    description="All or nothing: if any id is not one of your tasks, nothing changes (404).",
    response_model=BatchOut,
    responses=documented_errors(400, 404, 409, 413, 422),
)
async def batch_tasks(
    body: BatchIn, identity: CurrentUser, use_case: BatchEditTasksUseCase
) -> Response:
    result = await use_case.execute(identity.user_id, body.action, body.ids)
    document = {
        "tasks": [task_document(task) for task in result.tasks],
        "created": [task_document(task) for task in result.created],
        "deleted": result.deleted,
    }
    return Response(dump_json(document), media_type=JSON)


@router.delete(
    "",
    operation_id="clearCompletedTasks",
    summary="Clear completed tasks",
    description='Only `status=completed` is accepted: there is no "delete everything".',
    response_model=Cleared,
    responses=documented_errors(422),
)
async def clear_completed(
    status: Annotated[Literal["completed"], Query(description="Must be `completed`")],
    identity: CurrentUser,
    use_case: ClearCompletedTasksUseCase,
) -> Response:
    deleted = await use_case.execute(identity.user_id)
    return Response(dump_json({"deleted": deleted}), media_type=JSON)
