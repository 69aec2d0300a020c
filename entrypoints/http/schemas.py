"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictStr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from application.task_document import ISO_DATE, RFC3339
from application.use_cases.batch import MAX_BATCH_SIZE, BatchAction
from domain.recurrence import INTERVAL_MAX, Frequency, RecurrenceRule
from domain.task import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX,
    TITLE_MAX_LENGTH,
    NewTask,
    Priority,
    TaskChanges,
)
from entrypoints.http.lenient import Ambiguous, camel_case_names, in_our_words


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


def _parse_date_time(value: Any) -> Any:
    """Only RFC 3339 strings with an offset: no numbers, no local times."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with an offset (e.g. 2026-12-24T09:00Z)")
    return value


DateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_parse_date_time),
    Field(json_schema_extra={"example": "2026-12-24T09:00:00Z"}),
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
# A tag is a title without commas, of at most 50 characters.
_TAG_EDGE = _TITLE_EDGE[:-1] + ",]"
_TAG_CORE = f"{_TAG_EDGE}(?:{_NO_CONTROL[:-1]},]{{0,{TAG_MAX_LENGTH - 2}}}{_TAG_EDGE})?"
TAG_PATTERN = f"^[{_SPACE}]*{_TAG_CORE}[{_SPACE}]*$"
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


Tag = Annotated[
    StrictStr,
    Field(
        max_length=TAG_MAX_LENGTH * 4,
        description=f"1-{TAG_MAX_LENGTH} characters once trimmed; no control characters or commas",
        json_schema_extra={"pattern": TAG_PATTERN},
    ),
]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=TAGS_MAX,
        description=f"At most {TAGS_MAX}, unique ignoring case; kept in this order and case",
        examples=[["home", "errands"]],
    ),
]

# Written as RFC 3339 in UTC with "Z" (application/task_document.py); documented as a string.
Timestamp = Annotated[AwareDatetime, WithJsonSchema({"type": "string"}, mode="serialization")]


class _Body(BaseModel):
    # Any field we do not know (user_id, id, timestamps, typos) is an error, not ignored.
    model_config = ConfigDict(extra="forbid")


def _whole_number(value: Any) -> Any:
    """JSON has numbers, not integers: ``3.0`` is the integer 3 (``3.5`` and ``"3"`` are not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class RecurrenceIn(_Body):
    """Repeat every ``interval`` days, weeks, months or years, counted from the due date
    (which a recurring task needs)."""

    frequency: Frequency
    interval: Annotated[int, Strict(), Field(ge=1, le=INTERVAL_MAX), BeforeValidator(_whole_number)]

    def rule(self) -> RecurrenceRule:
        return RecurrenceRule(self.frequency, self.interval)


class _TaskBody(_Body):
    def _values(self, names: Iterable[str]) -> dict[str, Any]:
        """The named fields as the domain takes them."""
        values = {name: getattr(self, name) for name in names}
        if isinstance(values.get("recurrence"), RecurrenceIn):
            values["recurrence"] = values["recurrence"].rule()
        if values.get("tags") is not None:
            values["tags"] = tuple(values["tags"])
        return values


class TaskCreate(_TaskBody):
    title: Title
    description: Description | None = None
    completed: StrictBool = False
    due_date: DueDate | None = None
    priority: Priority = Priority.NONE
    tags: Tags = []
    remind_at: DateTime | None = None
    recurrence: RecurrenceIn | None = None

    def new_task(self) -> NewTask:
        return NewTask(**self._values(type(self).model_fields))


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


class _Edit(_TaskBody):
    def changes(self) -> TaskChanges:
        """Only the fields the client sent: omitted ones keep their value."""
        return TaskChanges(**self._values(self.model_fields_set))


class TaskPatch(_Edit):
    """PATCH: any subset of the editable fields."""

    title: Annotated[Title | None, AfterValidator(_not_null), NotNull] = None
    description: Description | None = None
    completed: Annotated[StrictBool | None, AfterValidator(_not_null), NotNull] = None
    due_date: DueDate | None = None
    priority: Annotated[Priority | None, AfterValidator(_not_null), NotNull] = None
    tags: Annotated[Tags | None, AfterValidator(_not_null), NotNull] = None
    remind_at: DateTime | None = None
    recurrence: RecurrenceIn | None = None


class TaskReplace(TaskPatch):
    """PUT: ``title`` is required; omitted fields keep their value, ``null`` clears."""

    title: Title  # required here, optional in a PATCH


class CompletionIn(_Edit):
    """`…/toggle` with a body: set `completed` (sending it again changes nothing) rather
    than flip what the client may have seen stale."""

    completed: StrictBool


# --- the compatibility shape's bodies (entrypoints/http/lenient.py) ---------------------------


class _Lenient(BaseModel):
    """Read as the strict model it is mixed into, except that fields it does not know or
    clients may not set (``id``, ``user_id``, timestamps, ``category``…) are ignored, never
    stored or used, and a field's camelCase name (``dueDate``) is that field."""

    # Mixed in as the last base: pydantic merges the bases' configs in order, so this wins.
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _in_our_words(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        try:
            return dict(in_our_words(data.items(), camel_case_names(tuple(cls.model_fields))))
        except Ambiguous as error:
            problem = InitErrorDetails(
                type=PydanticCustomError("ambiguous", str(error)),
                loc=(error.theirs,),
                input=data[error.theirs],
            )
            raise ValidationError.from_exception_data(cls.__name__, [problem]) from None


class CompatRecurrenceIn(RecurrenceIn, _Lenient):
    """A recurrence; other fields (an echoed one's read-only `starts_on`) are ignored."""


class CompatTaskCreate(TaskCreate, _Lenient):
    """POST on the compatibility shape: other fields than these are ignored (never stored
    or used); camelCase names (`dueDate`, `remindAt`) are these fields."""

    recurrence: CompatRecurrenceIn | None = None


class CompatTaskEdit(TaskPatch, _Lenient):
    """PUT and PATCH on the compatibility shape: any subset of these fields; other fields
    (a whole task document echoed back: `id`, `user_id`, timestamps…) are ignored, never
    stored or used; camelCase names (`dueDate`, `remindAt`) are these fields."""

    recurrence: CompatRecurrenceIn | None = None


class CompatCompletionIn(_Lenient):
    """`…/complete` with a body: `completed` sets it; a body without it toggles (as the
    spec's backends, which ignore the body, do); other fields are ignored."""

    completed: Annotated[StrictBool | None, AfterValidator(_not_null), NotNull] = None

    def changes(self) -> TaskChanges | None:
        return None if self.completed is None else TaskChanges(completed=self.completed)


class RecurrenceOut(BaseModel):
    frequency: Frequency
    interval: int
    starts_on: date = Field(description="The first date of the series (read-only)")


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    completed: bool
    due_date: date | None
    priority: Priority
    tags: list[str]
    remind_at: Timestamp | None
    recurrence: RecurrenceOut | None
    user_id: str
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None = Field(description="When it was completed (read-only)")
    next_task_id: uuid.UUID | None = Field(
        description="The occurrence completing it created (read-only)"
    )
    version: int = Field(
        description="Goes up by one with every change (read-only); the ETag is it quoted, "
        '`"<version>"`: send that as `If-Match` to edit only this version'
    )


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(examples=["task 3f2… not found"])  # always sent, maybe null
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class PriorityCounts(BaseModel):
    none: int
    low: int
    medium: int
    high: int


class TaskSummaryOut(BaseModel):
    """Counts of your tasks; overdue, due today and by priority count pending tasks."""

    total: int
    pending: int
    completed: int
    overdue: int
    due_today: int
    by_priority: PriorityCounts


class TagOut(BaseModel):
    name: str = Field(description="As first seen (on your oldest task carrying it)")
    count: int = Field(description="How many of your tasks carry it")


class BatchIn(_Body):
    action: BatchAction
    ids: Annotated[
        list[uuid.UUID],
        Field(
            min_length=1,
            max_length=MAX_BATCH_SIZE,
            description=f"1-{MAX_BATCH_SIZE} distinct ids of your tasks",
            json_schema_extra={"uniqueItems": True},
        ),
    ]


class BatchOut(BaseModel):
    tasks: list[TaskOut] = Field(description="The tasks the batch changed")
    created: list[TaskOut] = Field(description="Next occurrences of completed recurring tasks")
    deleted: list[uuid.UUID]


class Cleared(BaseModel):
    deleted: int
