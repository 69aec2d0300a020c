"""What each tool takes and gives: the REST API's fields, values and rules (the bodies and
types of ``entrypoints.http.schemas``), read from an agent's JSON arguments. A model's JSON
schema is its tool's ``inputSchema`` or ``outputSchema``."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictStr

from application.pagination import MAX_CURSOR_LENGTH
from application.queries import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SEARCH_LENGTH,
    SortField,
    SortOrder,
    StatusFilter,
    TaskQuery,
    parse_priority_list,
    parse_tag_list,
)
from domain.task import NewTask, TaskChanges
from entrypoints.http.list_query import (
    LIST_PARAMETER_LENGTH,
    PRIORITY_LIST_PATTERN,
    SEARCH_PATTERN,
    TAG_LIST_PATTERN,
    default_orders,
)
from entrypoints.http.preconditions import MAX_STORED_VERSION
from entrypoints.http.schemas import (
    DateTime,
    DueDate,
    TaskCreate,
    TaskOut,
    TaskPatch,
)

UserId = Annotated[
    StrictStr | None,
    Field(
        max_length=255,
        description="Optional. If given, it must be your own user id (the token's subject):"
        " these tools only ever act for you.",
    ),
]
TaskId = Annotated[uuid.UUID, Field(description="The task's id (from add_task or list_tasks)")]
Version = Annotated[
    int | None,
    Strict(),
    Field(
        ge=1,
        le=MAX_STORED_VERSION,
        description="Only if the task is still at this version (the `version` of an earlier"
        " result); otherwise nothing changes and the call says the task has changed.",
    ),
]


class Arguments(BaseModel):
    """Every tool's arguments: no others are accepted, and ``user_id`` may only name the
    caller."""

    model_config = ConfigDict(extra="forbid")

    user_id: UserId = None


class AddTaskArguments(TaskCreate, Arguments):
    def new_task(self) -> NewTask:
        return NewTask(**self._values(TaskCreate.model_fields))


class ListTasksArguments(Arguments):
    status: StatusFilter = StatusFilter.ALL
    sort: SortField = SortField.CREATED
    order: SortOrder | None = Field(default=None, description=f"Default: {default_orders()}")
    q: StrictStr | None = Field(
        default=None,
        max_length=MAX_SEARCH_LENGTH,
        description="Case-insensitive text in title or description",
        json_schema_extra={"pattern": SEARCH_PATTERN},
    )
    priority: StrictStr | None = Field(
        default=None,
        max_length=LIST_PARAMETER_LENGTH,
        description="Any of these priorities, comma-separated (e.g. `high,medium`)",
        json_schema_extra={"pattern": PRIORITY_LIST_PATTERN},
    )
    tag: StrictStr | None = Field(
        default=None,
        max_length=LIST_PARAMETER_LENGTH,
        description="Tasks carrying all of these tags (ignoring case), comma-separated",
        json_schema_extra={"pattern": TAG_LIST_PATTERN},
    )
    due_from: DueDate | None = Field(default=None, description="Due on or after (YYYY-MM-DD)")
    due_to: DueDate | None = Field(default=None, description="Due on or before (YYYY-MM-DD)")
    remind_to: DateTime | None = Field(
        default=None, description="A reminder at or before this date-time"
    )
    limit: Annotated[int, Strict(), Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: StrictStr | None = Field(
        default=None,
        max_length=MAX_CURSOR_LENGTH,
        description="The `next_cursor` of the previous page, with the same other arguments",
    )

    def query(self) -> TaskQuery:
        """The query without its page position (``cursor``, which the tool opens)."""
        return TaskQuery(
            status=self.status,
            sort=self.sort,
            order=self.order,
            limit=self.limit,
            search=self.q,
            priorities=parse_priority_list(self.priority) if self.priority is not None else None,
            tags=parse_tag_list(self.tag) if self.tag is not None else (),
            due_from=self.due_from,
            due_to=self.due_to,
            remind_to=self.remind_to,
        )


class GetTaskArguments(Arguments):
    task_id: TaskId


class UpdateTaskArguments(TaskPatch, Arguments):
    """The task's id, an optional expected version, and any of its editable fields: omitted
    ones keep their value, ``null`` clears."""

    task_id: TaskId
    version: Version = None

    def changes(self) -> TaskChanges:
        edited = self.model_fields_set & TaskPatch.model_fields.keys()
        return TaskChanges(**self._values(edited))


class CompleteTaskArguments(Arguments):
    task_id: TaskId
    completed: StrictBool = Field(default=True, description="`false` reopens the task")
    version: Version = None


class DeleteTaskArguments(Arguments):
    task_id: TaskId
    version: Version = None


class TaskSummaryArguments(Arguments):
    today: DueDate | None = Field(
        default=None, description="For overdue and due today (YYYY-MM-DD); default: UTC today"
    )


class TaskResult(TaskOut):
    """A task document; its ``version`` is what ``version`` arguments expect."""


class TaskListResult(BaseModel):
    tasks: list[TaskResult]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


class DeletedResult(BaseModel):
    deleted: uuid.UUID
