"""What the caller's tasks add up to: ``GET /api/tasks/summary`` (the counts behind a "3 tasks
left" badge) and ``GET /api/tags``. Included before the task routes, so that ``summary`` is
not read as a task id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from application.task_document import summary_document
from entrypoints.http.dependencies import GetTaskSummaryUseCase, ListTagsUseCase
from entrypoints.http.problems import documented_errors
from entrypoints.http.responses import JSON
from entrypoints.http.schemas import DueDate, TagOut, TaskSummaryOut
from entrypoints.http.security import CurrentUser
from entrypoints.http.strict import StrictRoute
from entrypoints.presentation import dump_json

router = APIRouter(
    tags=["tasks"], responses=documented_errors(401, 429, 503), route_class=StrictRoute
)


@router.get(
    "/api/tasks/summary",
    operation_id="getTaskSummary",
    summary="Count your tasks",
    response_model=TaskSummaryOut,
    responses=documented_errors(422),
)
async def task_summary(
    identity: CurrentUser,
    use_case: GetTaskSummaryUseCase,
    today: Annotated[
        DueDate | None, Query(description="For overdue and due today; default: the UTC date")
    ] = None,
) -> Response:
    summary = await use_case.execute(identity.user_id, today=today)
    return Response(dump_json(summary_document(summary)), media_type=JSON)


@router.get(
    "/api/tags",
    operation_id="listTags",
    summary="Your tags, with how many tasks carry each",
    response_model=list[TagOut],
    responses=documented_errors(422),
    tags=["tags"],
)
async def list_tags(identity: CurrentUser, use_case: ListTagsUseCase) -> Response:
    tags = await use_case.execute(identity.user_id)
    return Response(
        dump_json([{"name": tag.name, "count": tag.count} for tag in tags]), media_type=JSON
    )
