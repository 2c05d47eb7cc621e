"""staff assessments, feedback, flags and review

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Assessments may now be written by staff: they have no grading workflow or classifier
set (the uniqueness of an AI assessment per workflow stays: NULLs never collide). Every
assessment gains feedback, an overall comment, advisory flags and a review status;
items gain their review policy; training records which examples came from staff-graded
submissions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.alter_column(
            "grading_workflow_uuid", existing_type=sa.String(length=36), nullable=True
        )
        batch_op.alter_column(
            "classifier_set_uuid", existing_type=sa.String(length=36), nullable=True
        )
        batch_op.add_column(
            sa.Column("feedback", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("overall_feedback", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("flags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "review_status", sa.String(length=20), nullable=False, server_default="released"
            )
        )
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_policy", sa.String(length=20), nullable=False, server_default="none")
        )
        batch_op.add_column(
            sa.Column("review_confidence_below", sa.Float(), nullable=False, server_default="0.5")
        )

    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("uploaded_examples", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("graded_examples", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_uuid", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.drop_column("submission_uuid")

    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.drop_column("graded_examples")
        batch_op.drop_column("uploaded_examples")

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("review_confidence_below")
        batch_op.drop_column("review_policy")

    op.execute(
        "DELETE FROM assessment_parts WHERE assessment_uuid IN "
        "(SELECT uuid FROM assessments WHERE grading_workflow_uuid IS NULL)"
    )
    op.execute("DELETE FROM assessments WHERE grading_workflow_uuid IS NULL")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("review_status")
        batch_op.drop_column("flags")
        batch_op.drop_column("overall_feedback")
        batch_op.drop_column("feedback")
        batch_op.alter_column(
            "classifier_set_uuid", existing_type=sa.String(length=36), nullable=False
        )
        batch_op.alter_column(
            "grading_workflow_uuid", existing_type=sa.String(length=36), nullable=False
        )
