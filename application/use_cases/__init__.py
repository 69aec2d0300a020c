"""Verb-noun use cases, one ``execute`` each."""

from application.use_cases.batch import (
    BatchAction,
    BatchEditTasks,
    BatchResult,
    ClearCompletedTasks,
)
from application.use_cases.maintenance import ExpireIdempotencyKeys
from application.use_cases.overview import GetTaskSummary, ListTags
from application.use_cases.tasks import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    TaskPage,
    ToggleTaskCompletion,
    UpdateTask,
)

__all__ = [
    "BatchAction",
    "BatchEditTasks",
    "BatchResult",
    "ClearCompletedTasks",
    "CreateTask",
    "DeleteTask",
    "ExpireIdempotencyKeys",
    "GetTask",
    "GetTaskSummary",
    "ListTags",
    "ListTasks",
    "TaskPage",
    "ToggleTaskCompletion",
    "UpdateTask",
]
