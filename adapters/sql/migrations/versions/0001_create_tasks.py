"""Create the tasks table and its per-user indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SortKeyText = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_key", SortKeyText, nullable=False),
        sa.Column("description_key", SortKeyText, nullable=True),
        sa.CheckConstraint("length(title) BETWEEN 1 AND 200", name="ck_tasks_title_length"),
        sa.CheckConstraint(
            "description IS NULL OR length(description) <= 1000",
            name="ck_tasks_description_length",
        ),
        sa.CheckConstraint("length(user_id) BETWEEN 1 AND 255", name="ck_tasks_user_id_length"),
        sa.CheckConstraint("version >= 1", name="ck_tasks_version_positive"),
    )
    op.create_index("ix_tasks_user_created", "tasks", ["user_id", "created_at", "id"])
    op.create_index("ix_tasks_user_updated", "tasks", ["user_id", "updated_at", "id"])
    op.create_index("ix_tasks_user_title", "tasks", ["user_id", "title_key", "id"])
    op.create_index("ix_tasks_user_due", "tasks", ["user_id", "due_date", "id"])


def downgrade() -> None:
    op.drop_table("tasks")
