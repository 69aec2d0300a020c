"""The task routes: module-level endpoints, each parsing its input, calling one use case and
shaping the response. ``on_both_shapes`` registers an endpoint on ``/api/tasks`` (``router``)
and on the compatibility shape ``/api/{user_id}/tasks`` (``compat.router``); ``PATCH`` is on
the first only.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response, status

from application.errors import InvalidQuery
from application.pagination import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor
from application.queries import (
    DEFAULT_ORDER,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SEARCH_LENGTH,
    SortField,
    SortOrder,
    StatusFilter,
    TaskQuery,
)
from application.task_document import task_document
from application.use_cases import UpdateTask
from domain.errors import InvalidTaskField
from domain.task import Priority, TaskChanges
from domain.text import check_text
from entrypoints.http.dependencies import (
    BatchEditTasksUseCase,
    ClearCompletedTasksUseCase,
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
    parse_if_match,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.responses import JSON, task_response
from entrypoints.http.routers import compat
from entrypoints.http.schemas import (
    BatchIn,
    BatchOut,
    Cleared,
    DateTime,
    DueDate,
    TaskCreate,
    TaskOut,
    TaskPatch,
    TaskReplace,
)
from entrypoints.http.security import CurrentUser
from entrypoints.http.strict import StrictRoute
from entrypoints.presentation import dump_json

# A comma-separated list of priorities or of at most 20 tags is far shorter than this.
_LIST_PARAMETER_LENGTH = 1200
_PRIORITY_NAMES = "|".join(Priority)
_PRIORITY_LIST = f"^({_PRIORITY_NAMES})(,({_PRIORITY_NAMES}))*$"
# What PUT and PATCH answer.
_EDIT: dict[str, Any] = {
    "response_model": TaskOut,
    "responses": documented_errors(400, 404, 409, 412, 413, 422),
}


def _default_orders() -> str:
    """Each order and the sorts it is the default of ("desc for created/updated, …")."""
    sorts_by_order: dict[SortOrder, list[str]] = {}
    for sort, order in DEFAULT_ORDER.items():
        sorts_by_order.setdefault(order, []).append(sort.value)
    return ", ".join(f"{order} for {'/'.join(sorts)}" for order, sorts in sorts_by_order.items())


async def list_query(
    status: Annotated[StatusFilter, Query()] = StatusFilter.ALL,
    sort: Annotated[SortField, Query()] = SortField.CREATED,
    order: Annotated[SortOrder | None, Query(description=f"Default: {_default_orders()}")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_SEARCH_LENGTH,
            description="Case-insensitive text in title or description",
            json_schema_extra={"pattern": "^[^\\x00]*$"},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, description="From the `Link: rel=next` header"),
    ] = None,
    priority: Annotated[
        str | None,
        Query(
            max_length=_LIST_PARAMETER_LENGTH,
            description="Any of these priorities, comma-separated (e.g. `high,medium`)",
            json_schema_extra={"pattern": _PRIORITY_LIST},
        ),
    ] = None,
    tag: Annotated[
        str | None,
        Query(
            max_length=_LIST_PARAMETER_LENGTH,
            description="Tasks carrying all of these tags (ignoring case), comma-separated",
            json_schema_extra={"pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"},
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
        priorities=_priorities(priority),
        tags=_tags(tag),
        due_from=due_from,
        due_to=due_to,
        remind_to=remind_to,
    )
    if cursor is None:
        return query
    return replace(query, after=decode_cursor(cursor, query))


ListQuery = Annotated[TaskQuery, Depends(list_query)]


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",")]


def _priorities(value: str | None) -> frozenset[Priority] | None:
    if value is None:
        return None
    names = _items(value)
    unknown = [name for name in names if name not in Priority.__members__.values()]
    if unknown:
        raise InvalidQuery("priority", f"{unknown[0]!r} is not one of none, low, medium, high")
    return frozenset(Priority(name) for name in names)


def _tags(value: str | None) -> tuple[str, ...]:
    """The tags asked for; blank items are ignored, and one asked twice counts once."""
    if value is None:
        return ()
    tags = [tag for tag in _items(value) if tag]
    for tag in tags:
        try:
            check_text("tag", tag, max_length=_LIST_PARAMETER_LENGTH, multiline=False)
        except InvalidTaskField as error:
            raise InvalidQuery("tag", error.message) from error
    return tuple(tags)


async def _update(
    use_case: UpdateTask, owner: str, task_id: uuid.UUID, changes: TaskChanges, if_match: str | None
) -> Response:
    """PUT and PATCH differ only in what their body may leave out."""
    accepted = parse_if_match(if_match)
    return task_response(
        await use_case.execute(owner, task_id, changes, accepted_versions=accepted)
    )


router = APIRouter(
    prefix="/api/tasks",
    tags=["tasks"],
    responses=documented_errors(401, 503),
    route_class=StrictRoute,
)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])


def on_both_shapes(method: str, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Register the decorated endpoint at ``path`` under both URL shapes."""

    def register(endpoint: Endpoint) -> Endpoint:
        for shape in (router, compat.router):
            shape.add_api_route(path, endpoint, methods=[method], **options)
        return endpoint

    return register


@on_both_shapes(
    "GET",
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
async def list_tasks(
    request: Request, identity: CurrentUser, query: ListQuery, use_case: ListTasksUseCase
) -> Response:
    page = await use_case.execute(identity.user_id, query)
    headers = {}
    if page.next_position is not None:
        next_url = request.url.include_query_params(cursor=encode_cursor(query, page.next_position))
        headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    body = dump_json([task_document(task) for task in page.items])
    return Response(body, media_type=JSON, headers=headers)


@on_both_shapes(
    "POST",
    "",
    summary="Create a task",
    description=CREATE_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=documented_errors(400, 409, 413, 422),
)
async def create_task(
    request: Request,
    body: TaskCreate,
    identity: CurrentUser,
    use_case: CreateTaskUseCase,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = parse_idempotency_key(idempotency_key)
    task = await use_case.execute(identity.user_id, body.new_task(), idempotency_key=key)
    # The collection's own path, on either URL shape.
    return task_response(task, 201, Location=f"{request.url.path}/{task.id}")


@on_both_shapes(
    "GET",
    "/{task_id:uuid}",
    summary="Get one task",
    response_model=TaskOut,
    responses=documented_errors(404, 422),
)
async def get_task(task_id: uuid.UUID, identity: CurrentUser, use_case: GetTaskUseCase) -> Response:
    return task_response(await use_case.execute(identity.user_id, task_id))


@on_both_shapes(
    "PUT",
    "/{task_id:uuid}",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    **_EDIT,
)
async def replace_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    return await _update(use_case, identity.user_id, task_id, body.changes(), if_match)


@on_both_shapes(
    "DELETE",
    "/{task_id:uuid}",
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


@router.patch("/{task_id:uuid}", summary="Change some of a task's fields", **_EDIT)
async def patch_task(
    task_id: uuid.UUID,
    body: TaskPatch,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    return await _update(use_case, identity.user_id, task_id, body.changes(), if_match)


@router.post(
    "/batch",
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
