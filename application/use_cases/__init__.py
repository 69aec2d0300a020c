"""Verb-noun use cases, one ``execute`` each."""

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
    "CreateTask",
    "DeleteTask",
    "GetTask",
    "ListTasks",
    "TaskPage",
    "ToggleTaskCompletion",
    "UpdateTask",
]
