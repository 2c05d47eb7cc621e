"""advisory flags: item profiles on classifier sets, signatures on submissions

Revision ID: 0007_flags
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_flags"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classifier_sets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.JSON(), nullable=True))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place, not a batch copy: rows elsewhere reference both tables.
        op.execute("ALTER TABLE submissions DROP COLUMN signature")
        op.execute("ALTER TABLE classifier_sets DROP COLUMN profile")
    else:
        op.drop_column("submissions", "signature")
        op.drop_column("classifier_sets", "profile")
