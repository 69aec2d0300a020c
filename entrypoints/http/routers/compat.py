"""``/api/{user_id}/tasks``: the widespread "Phase II" route shape, serving the endpoints of
``routers.tasks`` (registered there on both shapes). The path's ``user_id`` must be the
token's ``sub`` (403 otherwise, checked by the router for every route), so it never widens
what the caller can reach. It has a ``PATCH …/complete`` toggle instead of a general
``PATCH``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from entrypoints.http.dependencies import ToggleTaskCompletionUseCase
from entrypoints.http.preconditions import IfMatch, parse_if_match
from entrypoints.http.problems import documented_errors
from entrypoints.http.responses import task_response
from entrypoints.http.schemas import TaskOut
from entrypoints.http.security import CurrentUser, check_path_owner
from entrypoints.http.strict import StrictRoute

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks (compatibility routes)"],
    dependencies=[Depends(check_path_owner)],
    responses=documented_errors(401, 403, 503),
    route_class=StrictRoute,
)


@router.patch(
    "/{task_id:uuid}/complete",
    summary="Toggle a task's completion",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 422),
)
async def toggle_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    use_case: ToggleTaskCompletionUseCase,
    if_match: IfMatch = None,
) -> Response:
    accepted = parse_if_match(if_match)
    return task_response(
        await use_case.execute(identity.user_id, task_id, accepted_versions=accepted)
    )
