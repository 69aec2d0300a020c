"""Idempotency records forget the content of deleted tasks, and are swept by age.

``response`` becomes nullable: NULL means "the task this key created has been deleted"
(a replay then answers 410, ADR 0020). A trigger on ``tasks`` clears it in the statement
that deletes the task, whichever statement that is (one delete, a batch, clear completed, a
purge), so no copy of a deleted task's content outlives it and no delete pays an extra
round trip. Records of tasks deleted before this revision are cleared here. The index on
``task_id`` keeps the trigger's lookup an index probe; the one on ``created_at`` (0002)
serves the periodic sweep.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TRIGGER = "tasks_forget_idempotent_responses"

# PostgreSQL: one statement-level trigger (a purge of 100k tasks is one join, not 100k
# updates), reading the deleted rows from the transition table.
POSTGRES_UP = [
    f"""
    CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE idempotency_keys SET response = NULL
        FROM deleted_tasks
        WHERE idempotency_keys.task_id = deleted_tasks.id
          AND idempotency_keys.response IS NOT NULL;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER {TRIGGER} AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS deleted_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()
    """,
]
POSTGRES_DOWN = [f"DROP TRIGGER IF EXISTS {TRIGGER} ON tasks", f"DROP FUNCTION IF EXISTS {TRIGGER}()"]
# SQLite has row-level triggers only.
SQLITE_UP = [
    f"""
    CREATE TRIGGER {TRIGGER} AFTER DELETE ON tasks FOR EACH ROW
    BEGIN
        UPDATE idempotency_keys SET response = NULL
        WHERE task_id = OLD.id AND response IS NOT NULL;
    END
    """
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {TRIGGER}"]


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("response", existing_type=sa.Text(), nullable=True)
    op.create_index("ix_idempotency_keys_task_id", "idempotency_keys", ["task_id"])
    op.execute(
        "UPDATE idempotency_keys SET response = NULL"
        " WHERE NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.id = idempotency_keys.task_id)"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_DOWN if postgres else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_idempotency_keys_task_id", table_name="idempotency_keys")
    op.execute("DELETE FROM idempotency_keys WHERE response IS NULL")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("response", existing_type=sa.Text(), nullable=False)
