"""student data

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import essaygrader.db.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_token_uuid", sa.String(length=36), nullable=True),
        sa.Column("course_id", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_audit_records")),
    )
    with op.batch_alter_table("audit_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_records_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_records_course", ["course_id", "at"], unique=False)

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "text_purged_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index("ix_submissions_student", ["course_id", "student_id"], unique=False)
        batch_op.create_index(
            "ix_submissions_unpurged",
            ["created_at"],
            unique=False,
            sqlite_where=sa.text("text_purged_at IS NULL"),
            postgresql_where=sa.text("text_purged_at IS NULL"),
        )


def downgrade() -> None:
    op.drop_index("ix_submissions_unpurged", table_name="submissions")
    op.drop_index("ix_submissions_student", table_name="submissions")
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch copy of the table: with rows referencing submissions, dropping it
        # would break their foreign keys. SQLite drops a plain column in place.
        op.execute("ALTER TABLE submissions DROP COLUMN text_purged_at")
    else:
        op.drop_column("submissions", "text_purged_at")
    op.drop_index("ix_audit_records_course", table_name="audit_records")
    op.drop_index(op.f("ix_audit_records_at"), table_name="audit_records")
    op.drop_table("audit_records")
