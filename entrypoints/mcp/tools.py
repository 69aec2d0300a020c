"""The MCP tools (the Phase III names): each reads its arguments, runs one use case for the
acting user and answers with JSON (task documents, as the REST API writes them) as
structured content, plus one short line for people.

Failures an agent can act on (bad arguments, a missing or foreign task, a version conflict,
the database away) are tool results with ``isError`` and a one-line message; anything else
is logged and answered with a generic line, never a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import mcp_types as types
import orjson
from pydantic import BaseModel, ValidationError

from application.errors import (
    AccessDenied,
    ConcurrentUpdate,
    SchemaNotReady,
    StorageUnavailable,
    TaskNotFound,
    TaskQuotaExceeded,
    VersionMismatch,
)
from application.task_document import summary_document, task_document
from domain.errors import FieldError
from domain.task import Task, TaskChanges
from entrypoints.container import Container
from entrypoints.http.schemas import TaskSummaryOut
from entrypoints.mcp import arguments as a
from entrypoints.presentation import dump_json, plain_message

logger = logging.getLogger("todo_api.mcp")

# What a tool hands back: the structured content and the line for people.
Outcome = tuple[dict[str, Any], str]


@dataclass(frozen=True)
class TaskTool:
    name: str
    title: str
    description: str
    arguments: type[a.Arguments]
    result: type[BaseModel]
    run: Callable[[Container, str, Any], Awaitable[Outcome]]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False

    def describe(self) -> types.Tool:
        return types.Tool(
            name=self.name,
            title=self.title,
            description=self.description,
            input_schema=self.arguments.model_json_schema(),
            output_schema=self.result.model_json_schema(mode="serialization"),
            annotations=types.ToolAnnotations(
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent,
                open_world_hint=False,
            ),
        )


def _quoted(task: Task) -> str:
    return f'"{task.title}" ({task.id}, version {task.version})'


async def _add_task(container: Container, owner: str, args: a.AddTaskArguments) -> Outcome:
    task = await container.create_task().execute(owner, args.new_task())
    return task_document(task), f"Added {_quoted(task)}."


async def _list_tasks(container: Container, owner: str, args: a.ListTasksArguments) -> Outcome:
    query, cursors = args.query(), container.page_cursors()
    if args.cursor is not None:
        query = replace(query, after=await cursors.decode(args.cursor, query))
    page = await container.list_tasks().execute(owner, query)
    next_position = page.next_position
    cursor = None if next_position is None else await cursors.encode(query, next_position)
    found = f"{len(page.items)} task{'' if len(page.items) == 1 else 's'}"
    more = "; more with next_cursor" if cursor else ""
    return {"tasks": [task_document(task) for task in page.items], "next_cursor": cursor}, (
        f"{found}{more}."
    )


async def _get_task(container: Container, owner: str, args: a.GetTaskArguments) -> Outcome:
    task = await container.get_task().execute(owner, args.task_id)
    state = "completed" if task.completed else "pending"
    return task_document(task), f"{_quoted(task)}: {state}."


def _versions(version: int | None) -> frozenset[int] | None:
    return None if version is None else frozenset({version})


async def _update_task(container: Container, owner: str, args: a.UpdateTaskArguments) -> Outcome:
    task = await container.update_task().execute(
        owner, args.task_id, args.changes(), accepted_versions=_versions(args.version)
    )
    return task_document(task), f"Updated {_quoted(task)}."


async def _complete_task(
    container: Container, owner: str, args: a.CompleteTaskArguments
) -> Outcome:
    task = await container.update_task().execute(
        owner,
        args.task_id,
        TaskChanges(completed=args.completed),
        accepted_versions=_versions(args.version),
    )
    line = f"{'Completed' if task.completed else 'Reopened'} {_quoted(task)}"
    if task.completed and task.next_task_id is not None:
        line += f"; its next occurrence is task {task.next_task_id}"
    return task_document(task), f"{line}."


async def _delete_task(container: Container, owner: str, args: a.DeleteTaskArguments) -> Outcome:
    await container.delete_task().execute(
        owner, args.task_id, accepted_versions=_versions(args.version)
    )
    return {"deleted": args.task_id}, f"Deleted task {args.task_id}."


async def _task_summary(container: Container, owner: str, args: a.TaskSummaryArguments) -> Outcome:
    summary = await container.get_task_summary().execute(owner, today=args.today)
    line = (
        f"{summary.total} tasks: {summary.pending} pending ({summary.overdue} overdue,"
        f" {summary.due_today} due today), {summary.completed} completed."
    )
    return summary_document(summary), line


_FIELDS = (
    "Fields as in the REST API: title (1-200 characters once trimmed), description (up to"
    " 1000), due_date (YYYY-MM-DD), priority (none, low, medium, high), tags (up to 20),"
    " remind_at (RFC 3339 with an offset), recurrence ({frequency, interval}; needs a"
    " due_date)."
)
TOOLS: tuple[TaskTool, ...] = (
    TaskTool(
        "add_task",
        "Add a task",
        f"Create one of your tasks; only title is required. {_FIELDS} Returns the task.",
        a.AddTaskArguments,
        a.TaskResult,
        _add_task,
    ),
    TaskTool(
        "list_tasks",
        "List tasks",
        "Your tasks, newest first unless sort/order say otherwise; filter by status,"
        " priority, tags, due dates, reminders or text. At most `limit` per call: pass"
        " next_cursor back as `cursor` for the next page.",
        a.ListTasksArguments,
        a.TaskListResult,
        _list_tasks,
        read_only=True,
        idempotent=True,
    ),
    TaskTool(
        "get_task",
        "Get a task",
        "One of your tasks by id.",
        a.GetTaskArguments,
        a.TaskResult,
        _get_task,
        read_only=True,
        idempotent=True,
    ),
    TaskTool(
        "update_task",
        "Update a task",
        f"Change some fields of one of your tasks: omitted fields keep their value, null"
        f" clears one. {_FIELDS} Completing a recurring task creates its next occurrence."
        " Returns the task.",
        a.UpdateTaskArguments,
        a.TaskResult,
        _update_task,
        idempotent=True,
    ),
    TaskTool(
        "complete_task",
        "Complete a task",
        "Mark one of your tasks completed (or, with completed=false, pending again)."
        " Completing a recurring task creates its next occurrence (next_task_id)."
        " Returns the task.",
        a.CompleteTaskArguments,
        a.TaskResult,
        _complete_task,
        idempotent=True,
    ),
    TaskTool(
        "delete_task",
        "Delete a task",
        "Delete one of your tasks for good.",
        a.DeleteTaskArguments,
        a.DeletedResult,
        _delete_task,
        destructive=True,
    ),
    TaskTool(
        "task_summary",
        "Count tasks",
        "How many tasks you have: total, pending, completed, overdue, due today, and pending"
        " ones by priority.",
        a.TaskSummaryArguments,
        TaskSummaryOut,
        _task_summary,
        read_only=True,
        idempotent=True,
    ),
)
TOOLS_BY_NAME: Mapping[str, TaskTool] = {tool.name: tool for tool in TOOLS}


class UnknownTool(LookupError):
    """No tool has this name (a protocol error, not a tool result)."""


async def call_tool(
    container: Container, owner: str, name: str, arguments: Mapping[str, Any]
) -> types.CallToolResult:
    """Run tool ``name`` for ``owner`` (the verified caller, never an argument)."""
    tool = TOOLS_BY_NAME.get(name)
    if tool is None:
        raise UnknownTool(name)
    started = time.perf_counter()
    try:
        args = tool.arguments.model_validate(arguments)
        if args.user_id is not None and args.user_id != owner:
            raise AccessDenied(
                "user_id: must be your own user id (these tools act only for the signed-in"
                " user); leave it out"
            )
        structured, line = await tool.run(container, owner, args)
    except Exception as error:
        message = failure_message(error)
        if message is None:
            logger.exception("tool %s failed unexpectedly [user_id=%s]", name, owner)
            message = "something went wrong on our side; nothing more is known here"
        _log_call(name, owner, "error", started)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=message)], is_error=True
        )
    _log_call(name, owner, "ok", started)
    content = orjson.loads(dump_json(structured))
    return types.CallToolResult(
        content=[
            types.TextContent(type="text", text=line),
            # The same JSON as text, for clients that do not read structured content.
            types.TextContent(type="text", text=orjson.dumps(content).decode()),
        ],
        structured_content=content,
    )


def failure_message(error: Exception) -> str | None:
    """The one line an agent gets for a failure it can act on; None for a bug."""
    if isinstance(error, ValidationError):
        return _problems(error)
    if isinstance(error, FieldError):
        return f"{error.field}: {error.message}"
    if isinstance(error, TaskNotFound):
        return f"{error}: none of your tasks has this id (list_tasks shows them)"
    if isinstance(error, VersionMismatch):
        return f"{error}; nothing was changed: get_task shows its current version"
    if isinstance(error, ConcurrentUpdate):
        return "the task kept changing while this ran; nothing was changed: retry"
    if isinstance(error, AccessDenied):
        return str(error)
    if isinstance(error, SchemaNotReady):
        return str(error)
    if isinstance(error, StorageUnavailable):
        return "the database is unavailable right now; retry in a few seconds"
    if isinstance(error, TaskQuotaExceeded):
        return (
            f"you have reached the limit of {error.limit:,} tasks per user; nothing was"
            " changed: delete some tasks first"
        )
    return None


_SHOWN_PROBLEMS = 3


def _problems(error: ValidationError) -> str:
    """``field: what is wrong`` for each problem (the first few), on one line."""
    problems = error.errors(include_url=False, include_input=False)
    parts = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: "
        + plain_message(problem, unknown="is not an argument of this tool")
        for problem in problems[:_SHOWN_PROBLEMS]
    ]
    if len(problems) > _SHOWN_PROBLEMS:
        parts.append(f"{len(problems) - _SHOWN_PROBLEMS} more")
    return "; ".join(parts)


def _log_call(name: str, owner: str, outcome: str, started: float) -> None:
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    logger.info(
        "tool %s %s %.1fms",
        name,
        outcome,
        latency_ms,
        extra={"route": f"mcp:{name}", "user_id": owner, "latency_ms": latency_ms},
    )
