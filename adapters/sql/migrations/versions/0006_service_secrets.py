"""Keys the service's processes share: ``service_secrets``, with the key that seals page
cursors (ADR 0022).

The key is made here, so that every process behind a load balancer finds the same one and
opens every other's cursors with no setting. Deleting the row and restarting every process
retires the key: the first process that needs one makes a new one, and cursors sealed with
the old key are refused (422; clients start the list again).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    secrets = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(
        secrets, [{"name": "cursor", "secret": os.urandom(32), "created_at": datetime.now(UTC)}]
    )


def downgrade() -> None:
    op.drop_table("service_secrets")
