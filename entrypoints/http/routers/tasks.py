"""The task routes, built once for each of the two URL shapes that serve them:

* ``/api/tasks`` — the caller's tasks (``router``);
* ``/api/{user_id}/tasks`` — the widespread "Phase II" shape (``compat.router``), where the
  path's ``user_id`` must be the token's ``sub`` (403 otherwise); it never widens what the
  caller can reach. It has a ``PATCH …/complete`` toggle instead of a general ``PATCH``.

Both call the same use cases; only how the owner is established differs (the ``owner``
dependency).
"""

# No ``from __future__ import annotations`` here: the route functions are defined inside
# ``build_task_router`` and annotated with its ``owner`` argument, which FastAPI can only
# see if annotations are evaluated where they are written.

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response, status

from application.ports import Identity
from application.use_cases import GetTask, UpdateTask
from domain.task import TaskChanges
from entrypoints.http.dependencies import (
    CreateTaskUseCase,
    DeleteTaskUseCase,
    GetTaskUseCase,
    ListTasksUseCase,
    ToggleTaskCompletionUseCase,
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

WRITE_ERRORS = (400, 404, 409, 412, 413, 422)


def build_task_router(*, prefix: str, tags: list[str], owner: Any, compat: bool) -> APIRouter:
    """``owner`` is the ``Annotated[Identity, Depends(...)]`` that says whose tasks these are."""
    router = APIRouter(
        prefix=prefix,
        tags=tags,  # type: ignore[arg-type]
        responses=documented_errors(401, 403, 503) if compat else documented_errors(401, 503),
        route_class=StrictRoute,
    )

    async def update(
        task_id: uuid.UUID,
        changes: TaskChanges,
        identity: Identity,
        use_case: UpdateTask,
        get_task: GetTask,
        if_match: str | None,
    ) -> Response:
        """PUT and PATCH differ only in what their body may leave out."""
        version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
        task = await use_case.execute(identity.user_id, task_id, changes, expected_version=version)
        return task_response(task)

    def location(identity: Identity, task_id: uuid.UUID) -> str:
        base = f"/api/{identity.user_id}/tasks" if compat else "/api/tasks"
        return f"{base}/{task_id}"

    @router.get(
        "",
        summary="List your tasks",
        response_model=list[TaskOut],
        responses=documented_errors(422),
    )
    async def list_tasks(
        request: Request, identity: owner, query: ListQuery, use_case: ListTasksUseCase
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
        identity: owner,
        use_case: CreateTaskUseCase,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        key = parse_idempotency_key(idempotency_key)
        task = await use_case.execute(identity.user_id, body.new_task(), idempotency_key=key)
        return task_response(task, 201, Location=location(identity, task.id))

    @router.get(
        "/{task_id}",
        summary="Get one task",
        response_model=TaskOut,
        responses=documented_errors(404, 422),
    )
    async def get_task(task_id: uuid.UUID, identity: owner, use_case: GetTaskUseCase) -> Response:
        return task_response(await use_case.execute(identity.user_id, task_id))

    @router.put(
        "/{task_id}",
        summary="Replace a task's editable fields",
        description="`title` is required; omitted fields keep their value; `null` clears.",
        response_model=TaskOut,
        responses=documented_errors(*WRITE_ERRORS),
    )
    async def replace_task(
        task_id: uuid.UUID,
        body: TaskReplace,
        identity: owner,
        use_case: UpdateTaskUseCase,
        get_task: GetTaskUseCase,
        if_match: IfMatch = None,
    ) -> Response:
        return await update(task_id, body.changes(), identity, use_case, get_task, if_match)

    @router.delete(
        "/{task_id}",
        summary="Delete a task",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses=documented_errors(400, 404, 412, 422),
    )
    async def delete_task(
        task_id: uuid.UUID,
        identity: owner,
        use_case: DeleteTaskUseCase,
        get_task: GetTaskUseCase,
        if_match: IfMatch = None,
    ) -> Response:
        version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
        await use_case.execute(identity.user_id, task_id, expected_version=version)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    if compat:

        @router.patch(
            "/{task_id}/complete",
            summary="Toggle a task's completion",
            response_model=TaskOut,
            responses=documented_errors(400, 404, 409, 412, 422),
        )
        async def toggle_task(
            task_id: uuid.UUID,
            identity: owner,
            use_case: ToggleTaskCompletionUseCase,
            get_task: GetTaskUseCase,
            if_match: IfMatch = None,
        ) -> Response:
            version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
            task = await use_case.execute(identity.user_id, task_id, expected_version=version)
            return task_response(task)

    else:

        @router.patch(
            "/{task_id}",
            summary="Change some of a task's fields",
            response_model=TaskOut,
            responses=documented_errors(*WRITE_ERRORS),
        )
        async def patch_task(
            task_id: uuid.UUID,
            body: TaskPatch,
            identity: owner,
            use_case: UpdateTaskUseCase,
            get_task: GetTaskUseCase,
            if_match: IfMatch = None,
        ) -> Response:
            return await update(task_id, body.changes(), identity, use_case, get_task, if_match)

    return router


router = build_task_router(prefix="/api/tasks", tags=["tasks"], owner=CurrentUser, compat=False)
