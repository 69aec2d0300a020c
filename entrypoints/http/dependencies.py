"""What routes get from the app's own container (``app.state.container``), as FastAPI
dependencies: each request resolves the provider on the container of the app it reached,
so two apps in one process (tests, workers) never share one. The dependencies are async:
FastAPI would run a plain function in its thread pool on every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from application import use_cases
from application.pagination import PageCursors
from application.ports import HealthProbe


def provided(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency giving what the container's provider ``name`` provides (a fresh use
    case and unit of work per request for factories, the one instance for singletons)."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state.container, name)()

    dependency.__name__ = name
    return dependency


CreateTaskUseCase = Annotated[use_cases.CreateTask, Depends(provided("create_task"))]
GetTaskUseCase = Annotated[use_cases.GetTask, Depends(provided("get_task"))]
ListTasksUseCase = Annotated[use_cases.ListTasks, Depends(provided("list_tasks"))]
UpdateTaskUseCase = Annotated[use_cases.UpdateTask, Depends(provided("update_task"))]
ToggleTaskCompletionUseCase = Annotated[
    use_cases.ToggleTaskCompletion, Depends(provided("toggle_task_completion"))
]
DeleteTaskUseCase = Annotated[use_cases.DeleteTask, Depends(provided("delete_task"))]
BatchEditTasksUseCase = Annotated[use_cases.BatchEditTasks, Depends(provided("batch_edit_tasks"))]
ClearCompletedTasksUseCase = Annotated[
    use_cases.ClearCompletedTasks, Depends(provided("clear_completed_tasks"))
]
GetTaskSummaryUseCase = Annotated[use_cases.GetTaskSummary, Depends(provided("get_task_summary"))]
ListTagsUseCase = Annotated[use_cases.ListTags, Depends(provided("list_tags"))]
Cursors = Annotated[PageCursors, Depends(provided("page_cursors"))]
Probe = Annotated[HealthProbe, Depends(provided("health_probe"))]
