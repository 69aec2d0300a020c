"""What the routers get from the container, as FastAPI dependencies.

dependency-injector's wiring resolves each ``Provide["…"]`` marker inside a small ``@inject``
function of this module (the app factory wires it); FastAPI only sees an async wrapper.
Written as ``Depends(Provide["…"])`` in a route, the marker — a plain callable — would make
FastAPI hop to its thread pool on every request just to hand the marker back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from dependency_injector.wiring import Provide, inject
from fastapi import Depends

from application.ports import HealthProbe, TokenVerifier
from application.use_cases import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    ToggleTaskCompletion,
    UpdateTask,
)

T = TypeVar("T")


def awaitable(resolve: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    async def dependency() -> T:
        return resolve()

    dependency.__name__ = resolve.__name__.lstrip("_")
    return dependency


@inject
def _create_task(provided: CreateTask = Provide["create_task"]) -> CreateTask:
    return provided


@inject
def _get_task(provided: GetTask = Provide["get_task"]) -> GetTask:
    return provided


@inject
def _list_tasks(provided: ListTasks = Provide["list_tasks"]) -> ListTasks:
    return provided


@inject
def _update_task(provided: UpdateTask = Provide["update_task"]) -> UpdateTask:
    return provided


@inject
def _toggle_task_completion(
    provided: ToggleTaskCompletion = Provide["toggle_task_completion"],
) -> ToggleTaskCompletion:
    return provided


@inject
def _delete_task(provided: DeleteTask = Provide["delete_task"]) -> DeleteTask:
    return provided


@inject
def _token_verifier(provided: TokenVerifier = Provide["token_verifier"]) -> TokenVerifier:
    return provided


@inject
def _health_probe(provided: HealthProbe = Provide["health_probe"]) -> HealthProbe:
    return provided


CreateTaskUseCase = Annotated[CreateTask, Depends(awaitable(_create_task))]
GetTaskUseCase = Annotated[GetTask, Depends(awaitable(_get_task))]
ListTasksUseCase = Annotated[ListTasks, Depends(awaitable(_list_tasks))]
UpdateTaskUseCase = Annotated[UpdateTask, Depends(awaitable(_update_task))]
ToggleTaskCompletionUseCase = Annotated[
    ToggleTaskCompletion, Depends(awaitable(_toggle_task_completion))
]
DeleteTaskUseCase = Annotated[DeleteTask, Depends(awaitable(_delete_task))]
Verifier = Annotated[TokenVerifier, Depends(awaitable(_token_verifier))]
Probe = Annotated[HealthProbe, Depends(awaitable(_health_probe))]
