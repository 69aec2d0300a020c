"""Priorities, tags, reminders, recurrence, completion times and next occurrences.

Existing tasks get priority "none" (rank 0), no tags, no reminder and no recurrence; a
completed task's completed_at is its updated_at (the last change is the best knowledge of
when it was completed). priority_key (rank, then the creation time) is derived as the
service derives it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SortKeyText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

# "0" followed by the creation time in UTC as YYYYMMDDHHMMSSffffff (application/queries.py,
# priority_sort_key). SQLite keeps timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text in UTC.
PRIORITY_KEY = {
    "postgresql": "'0' || to_char(created_at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')",
    "sqlite": "'0' || replace(replace(replace(replace(created_at, '-', ''), ' ', ''), ':', ''),"
    " '.', '')",
}


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("recurrence", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_task_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("priority_key", SortKeyText, nullable=True))
    dialect = op.get_bind().dialect.name
    op.execute(
        f"UPDATE tasks SET priority_key = {PRIORITY_KEY[dialect]},"  # noqa: S608 - constants
        " completed_at = CASE WHEN completed THEN updated_at END"
    )
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("priority", server_default=None)
        batch.alter_column("tags", server_default=None)
        batch.alter_column("priority_key", existing_type=SortKeyText, nullable=False)
        batch.create_check_constraint("ck_tasks_priority_rank", "priority BETWEEN 0 AND 3")
    op.create_index("ix_tasks_user_priority", "tasks", ["user_id", "priority_key", "id"])
    op.create_index("ix_tasks_user_remind", "tasks", ["user_id", "remind_at", "id"])
    op.create_table(
        "task_tags",
        sa.Column(
            "task_id",
            sa.Uuid(),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name_key", SortKeyText, primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_task_tags_user_tag", "task_tags", ["user_id", "name_key", "created_at", "task_id"]
    )


def downgrade() -> None:
    op.drop_table("task_tags")
    op.drop_index("ix_tasks_user_remind", "tasks")
    op.drop_index("ix_tasks_user_priority", "tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("ck_tasks_priority_rank", type_="check")
        for column in (
            "priority_key",
            "next_task_id",
            "completed_at",
            "recurrence",
            "remind_at",
            "tags",
            "priority",
        ):
            batch.drop_column(column)
