"""task outbox

Revision ID: 0009_task_outbox
Revises: 0008_lti
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import essaygrader.db.models

revision = "0009_task_outbox"
down_revision = "0008_lti"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_type", sa.String(length=16), nullable=False),
        sa.Column("workflow_uuids", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_outbox")),
    )
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_outbox_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_outbox_due_at"))

    op.drop_table("task_outbox")
