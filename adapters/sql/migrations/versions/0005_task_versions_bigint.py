"""Task versions as 64-bit integers: a task imported near 2**31 must stay editable.

An INTEGER column made the edit after 2**31 - 1 fail ("integer out of range") and the task
uneditable. SQLite's INTEGER already holds 64 bits. On PostgreSQL the change rewrites the
table under an exclusive lock, for a time proportional to its size.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("tasks", "version", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("tasks", "version", type_=sa.Integer(), existing_nullable=False)
