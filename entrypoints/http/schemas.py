"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    WithJsonSchema,
)

from application.task_document import ISO_DATE
from domain.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, NewTask, TaskChanges


def _parse_due_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` strings: no timestamps, no datetimes, no numbers."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
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

# The domain checks text (domain/text.py); these patterns publish the same rules in the
# schema, so clients (and the fuzzer) know what is accepted. Whitespace is what Python's
# str.strip() removes; control characters (Cc) are refused, except tab, CR and LF in a
# description. The title's max_length bounds the work done on padding before trimming.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_TITLE_EDGE = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NO_CONTROL = r"[^\x00-\x1f\x7f-\x9f]"
_TITLE_CORE = f"{_TITLE_EDGE}(?:{_NO_CONTROL}{{0,{TITLE_MAX_LENGTH - 2}}}{_TITLE_EDGE})?"
TITLE_PATTERN = f"^[{_SPACE}]*{_TITLE_CORE}[{_SPACE}]*$"
DESCRIPTION_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Title = Annotated[
    StrictStr,
    Field(
        max_length=TITLE_MAX_LENGTH * 4,
        examples=["Buy milk"],
        description=f"1-{TITLE_MAX_LENGTH} characters once trimmed; no control characters",
        json_schema_extra={"pattern": TITLE_PATTERN},
    ),
]
Description = Annotated[
    StrictStr,
    Field(
        max_length=DESCRIPTION_MAX_LENGTH,
        description="No control characters other than tab, CR and LF",
        json_schema_extra={"pattern": DESCRIPTION_PATTERN},
    ),
]


# Written as RFC 3339 in UTC with "Z" (application/task_document.py); documented as a string.
Timestamp = Annotated[AwareDatetime, WithJsonSchema({"type": "string"}, mode="serialization")]


class _Body(BaseModel):
    # Any field we do not know (user_id, id, timestamps, typos) is an error, not ignored.
    model_config = ConfigDict(extra="forbid")


class TaskCreate(_Body):
    title: Title
    description: Description | None = None
    completed: StrictBool = False
    due_date: DueDate | None = None

    def new_task(self) -> NewTask:
        return NewTask(**self.model_dump())


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("must not be null")
    return value


def without_null(schema: dict[str, Any]) -> None:
    """Document an optional field that must not be null as what it accepts: no ``null``
    branch, no ``default: null`` (omitting the field is what keeps its value)."""
    branches = [branch for branch in schema.pop("anyOf", []) if branch.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    schema.pop("default", None)


NotNull = Field(json_schema_extra=without_null)


class _Edit(_Body):
    def changes(self) -> TaskChanges:
        """Only the fields the client sent: omitted ones keep their value."""
        return TaskChanges(**{name: getattr(self, name) for name in self.model_fields_set})


class TaskReplace(_Edit):
    """PUT: ``title`` is required; omitted fields keep their value, ``null`` clears."""

    title: Title
    description: Description | None = None
    completed: Annotated[StrictBool | None, AfterValidator(_not_null), NotNull] = None
    due_date: DueDate | None = None


class TaskPatch(_Edit):
    """PATCH: any subset of the editable fields."""

    title: Annotated[Title | None, AfterValidator(_not_null), NotNull] = None
    description: Description | None = None
    completed: Annotated[StrictBool | None, AfterValidator(_not_null), NotNull] = None
    due_date: DueDate | None = None


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    due_date: date | None
    user_id: str
    created_at: Timestamp
    updated_at: Timestamp


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
