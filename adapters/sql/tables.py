"""The schema: table models (SQLModel) and the ``sa.Table`` objects every statement is built
from. The domain never sees these; ``mapping`` converts tasks and rows both ways."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from application.queries import SortField

# Code-point order on PostgreSQL, whatever the database's default collation; SQLite's
# default (BINARY) already is. Sort keys are case-folded in Python before they get here.
SortKeyText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

metadata = SQLModel.metadata


class TaskRow(SQLModel, table=True):
    """One task. ``user_id`` is Better Auth's user id: Better Auth owns the users table
    (possibly in another database), so there is no foreign key to it."""

    __tablename__ = "tasks"
    __table_args__ = (
        # "This user's tasks in this order": one index per sort, id as the tie-breaker, so
        # a page is an index range scan whatever the user's task count.
        sa.Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        sa.Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
        sa.Index("ix_tasks_user_title", "user_id", "title_key", "id"),
        sa.Index("ix_tasks_user_due", "user_id", "due_date", "id"),
        sa.Index("ix_tasks_user_priority", "user_id", "priority_key", "id"),
        sa.Index("ix_tasks_user_remind", "user_id", "remind_at", "id"),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_tasks_title_length"),
        sa.CheckConstraint(
            "description IS NULL OR length(description) <= 1000",
            name="ck_tasks_description_length",
        ),
        sa.CheckConstraint("length(user_id) BETWEEN 1 AND 255", name="ck_tasks_user_id_length"),
        sa.CheckConstraint("version >= 1", name="ck_tasks_version_positive"),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name="ck_tasks_priority_rank"),
    )

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    user_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    description: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(1000), nullable=True)
    )
    completed: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    due_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date(), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    # 64 bits (migration 0005): SQLite's INTEGER already is, PostgreSQL's needs BIGINT.
    version: int = Field(
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)
    )
    # The priority's rank: 0 (none) to 3 (high).
    priority: int = Field(sa_column=sa.Column(sa.SmallInteger(), nullable=False))
    # The tags as given (order and case), read with the task; task_tags indexes them.
    tags: list[str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    remind_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    # {"frequency", "interval", "starts_on"}, or NULL.
    recurrence: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON(), nullable=True)
    )
    completed_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
    next_task_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(sa.Uuid(), nullable=True)
    )
    # Derived copies for sorting and searching the same way on every store: case-folded
    # text, and the priority rank followed by the creation time (sort=priority, newest first
    # among equals).
    title_key: str = Field(sa_column=sa.Column(SortKeyText, nullable=False))
    description_key: str | None = Field(
        default=None, sa_column=sa.Column(SortKeyText, nullable=True)
    )
    priority_key: str = Field(sa_column=sa.Column(SortKeyText, nullable=False))


class TaskTagRow(SQLModel, table=True):
    """One tag of one task, kept beside the task's own list so that "tasks with all of these
    tags" and the tag counts are index lookups, not a scan of the user's tasks."""

    __tablename__ = "task_tags"
    __table_args__ = (
        sa.Index("ix_task_tags_user_tag", "user_id", "name_key", "created_at", "task_id"),
    )

    task_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
        )
    )
    name_key: str = Field(sa_column=sa.Column(SortKeyText, primary_key=True))
    user_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    # The task's creation time: the tag's first-seen spelling is its oldest task's.
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class IdempotencyKeyRow(SQLModel, table=True):
    """A POST that carried an ``Idempotency-Key``, with the response it got (the task as
    first created, as JSON), kept 24 hours (then swept). ``response`` is NULL once the
    task has been deleted: a trigger on ``tasks`` (migration 0004) clears it in the
    deleting statement."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        sa.Index("ix_idempotency_keys_created_at", "created_at"),
        sa.Index("ix_idempotency_keys_task_id", "task_id"),
        sa.CheckConstraint("length(key) BETWEEN 1 AND 255", name="ck_idempotency_key_length"),
    )

    user_id: str = Field(sa_column=sa.Column(sa.String(255), primary_key=True))
    key: str = Field(sa_column=sa.Column(sa.String(255), primary_key=True))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    task_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    response: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class ServiceSecretRow(SQLModel, table=True):
    """Random keys the service's processes share (migration 0006): ``cursor`` seals page
    cursors. Made once, by the migration or by the first process that finds none."""

    __tablename__ = "service_secrets"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    secret: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


# The tables as SQLAlchemy Core sees them: what every statement is written against.
TASKS = metadata.tables["tasks"]
TASK_TAGS = metadata.tables["task_tags"]
IDEMPOTENCY_KEYS = metadata.tables["idempotency_keys"]
SERVICE_SECRETS = metadata.tables["service_secrets"]

# The column each sort orders by (with the id as tie-breaker: the indexes above). A nullable
# one sorts its nulls last in both orders (see ``listing``).
SORT_COLUMNS: dict[SortField, sa.Column[Any]] = {
    SortField.CREATED: TASKS.c.created_at,
    SortField.UPDATED: TASKS.c.updated_at,
    SortField.TITLE: TASKS.c.title_key,
    SortField.DUE_DATE: TASKS.c.due_date,
    SortField.PRIORITY: TASKS.c.priority_key,
}
