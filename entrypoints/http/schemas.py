"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictStr,
)

from application.use_cases import NewTask
from domain.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Task, TaskChanges

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_due_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` strings: no timestamps, no datetimes, no numbers."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date in YYYY-MM-DD format")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from error


DueDate = Annotated[
    date,
    BeforeValidator(_parse_due_date),
    Field(json_schema_extra={"format": "date", "example": "2026-12-31"}),
]

# Length limits are checked again by the domain after trimming; these bound the work done
# on hostile input and document the limits in the schema.
Title = Annotated[StrictStr, Field(max_length=TITLE_MAX_LENGTH * 4, examples=["Buy milk"])]
Description = Annotated[StrictStr, Field(max_length=DESCRIPTION_MAX_LENGTH * 4)]


def _utc_rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


Timestamp = Annotated[AwareDatetime, PlainSerializer(_utc_rfc3339, return_type=str)]


class _Body(BaseModel):
    # Any field we do not know (user_id, id, timestamps, typos) is an error, not ignored.
    model_config = ConfigDict(extra="forbid")


class TaskCreate(_Body):
    title: Title
    description: Description | None = None
    completed: StrictBool = False
    due_date: DueDate | None = None

    def new_task(self) -> NewTask:
        return NewTask(
            title=self.title,
            description=self.description,
            completed=self.completed,
            due_date=self.due_date,
        )


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null")
    return value


class TaskReplace(_Body):
    """PUT: ``title`` is required; omitted fields keep their value, ``null`` clears."""

    title: Title
    description: Description | None = None
    completed: Annotated[StrictBool | None, AfterValidator(_not_null)] = None
    due_date: DueDate | None = None

    def changes(self) -> TaskChanges:
        return _changes(self)


class TaskPatch(_Body):
    """PATCH: any subset of the editable fields."""

    title: Annotated[Title | None, AfterValidator(_not_null)] = None
    description: Description | None = None
    completed: Annotated[StrictBool | None, AfterValidator(_not_null)] = None
    due_date: DueDate | None = None

    def changes(self) -> TaskChanges:
        return _changes(self)


def _changes(body: TaskReplace | TaskPatch) -> TaskChanges:
    given = body.model_fields_set
    return TaskChanges(**{name: getattr(body, name) for name in given})


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    due_date: date | None
    user_id: str
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(
            id=task.id,
            title=task.title,
            description=task.description,
            completed=task.completed,
            due_date=task.due_date,
            user_id=task.user_id,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["task 3f2… not found"])
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class Health(BaseModel):
    status: str = Field(examples=["ok"])
