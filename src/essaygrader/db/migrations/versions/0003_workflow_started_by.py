"""workflow started_by

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grading_workflows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by", sa.String(length=255), nullable=True))

    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.drop_column("started_by")

    with op.batch_alter_table("grading_workflows", schema=None) as batch_op:
        batch_op.drop_column("started_by")
