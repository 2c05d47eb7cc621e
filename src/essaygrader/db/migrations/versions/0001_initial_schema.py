"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import essaygrader.db.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rubrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("structure_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubrics")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_rubrics_content_hash")),
    )
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rubrics_structure_hash"), ["structure_hash"], unique=False
        )

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("student_id", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("uuid", name=op.f("uq_submissions_uuid")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_item", ["course_id", "item_id", "id"], unique=False)

    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("queues", sa.String(length=255), nullable=False),
        sa.Column("started_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("algorithm_id", sa.String(length=100), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("min_qwk", sa.Float(), nullable=True),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_items_rubric_id_rubrics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("course_id", "item_id", name="uq_items_course_item"),
    )
    op.create_table(
        "training_workflows",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("algorithm_id", sa.String(length=100), nullable=False),
        sa.Column("classifier_set_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("criteria_done", sa.Integer(), nullable=False),
        sa.Column("criteria_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_training_workflows_rubric_id_rubrics")
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_training_workflows")),
    )
    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_training_workflows_incomplete",
            ["scheduled_at"],
            unique=False,
            sqlite_where=sa.text("completed_at IS NULL"),
            postgresql_where=sa.text("completed_at IS NULL"),
        )
        batch_op.create_index(
            "ix_training_workflows_item", ["course_id", "item_id", "created_at"], unique=False
        )

    op.create_table(
        "classifier_sets",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("structure_hash", sa.String(length=64), nullable=False),
        sa.Column("algorithm_id", sa.String(length=100), nullable=False),
        sa.Column("training_workflow_uuid", sa.String(length=36), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_classifier_sets_rubric_id_rubrics")
        ),
        sa.ForeignKeyConstraint(
            ["training_workflow_uuid"],
            ["training_workflows.uuid"],
            name=op.f("fk_classifier_sets_training_workflow_uuid_training_workflows"),
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_classifier_sets")),
        sa.UniqueConstraint(
            "training_workflow_uuid", name=op.f("uq_classifier_sets_training_workflow_uuid")
        ),
    )
    with op.batch_alter_table("classifier_sets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_classifier_sets_item", ["course_id", "item_id", "created_at"], unique=False
        )

    op.create_table(
        "training_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_uuid", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options_selected", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_uuid"],
            ["training_workflows.uuid"],
            name=op.f("fk_training_examples_workflow_uuid_training_workflows"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_examples")),
        sa.UniqueConstraint("workflow_uuid", "position", name="uq_training_examples_pos"),
    )
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_examples_workflow_uuid"), ["workflow_uuid"], unique=False
        )

    op.create_table(
        "classifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("classifier_set_uuid", sa.String(length=36), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("blob_key", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["classifier_set_uuid"],
            ["classifier_sets.uuid"],
            name=op.f("fk_classifiers_classifier_set_uuid_classifier_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifiers")),
        sa.UniqueConstraint(
            "classifier_set_uuid", "criterion", name="uq_classifiers_set_criterion"
        ),
    )
    op.create_table(
        "grading_workflows",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("submission_uuid", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("classifier_set_uuid", sa.String(length=36), nullable=True),
        sa.Column("assessment_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["classifier_set_uuid"],
            ["classifier_sets.uuid"],
            name=op.f("fk_grading_workflows_classifier_set_uuid_classifier_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"], ["rubrics.id"], name=op.f("fk_grading_workflows_rubric_id_rubrics")
        ),
        sa.ForeignKeyConstraint(
            ["submission_uuid"],
            ["submissions.uuid"],
            name=op.f("fk_grading_workflows_submission_uuid_submissions"),
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_grading_workflows")),
    )
    with op.batch_alter_table("grading_workflows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_grading_workflows_incomplete",
            ["scheduled_at"],
            unique=False,
            sqlite_where=sa.text("completed_at IS NULL"),
            postgresql_where=sa.text("completed_at IS NULL"),
        )
        batch_op.create_index(
            "ix_grading_workflows_item", ["course_id", "item_id", "completed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grading_workflows_submission_uuid"), ["submission_uuid"], unique=False
        )

    op.create_table(
        "assessments",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("submission_uuid", sa.String(length=36), nullable=False),
        sa.Column("grading_workflow_uuid", sa.String(length=36), nullable=False),
        sa.Column("classifier_set_uuid", sa.String(length=36), nullable=False),
        sa.Column("score_type", sa.String(length=10), nullable=False),
        sa.Column("scorer_id", sa.String(length=100), nullable=False),
        sa.Column("points_possible", sa.Integer(), nullable=False),
        sa.Column("scored_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["classifier_set_uuid"],
            ["classifier_sets.uuid"],
            name=op.f("fk_assessments_classifier_set_uuid_classifier_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["grading_workflow_uuid"],
            ["grading_workflows.uuid"],
            name=op.f("fk_assessments_grading_workflow_uuid_grading_workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_uuid"],
            ["submissions.uuid"],
            name=op.f("fk_assessments_submission_uuid_submissions"),
        ),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "grading_workflow_uuid", name=op.f("uq_assessments_grading_workflow_uuid")
        ),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessments_submission_uuid"), ["submission_uuid"], unique=False
        )

    op.create_table(
        "assessment_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_uuid", sa.String(length=36), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("option", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_uuid"],
            ["assessments.uuid"],
            name=op.f("fk_assessment_parts_assessment_uuid_assessments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_parts")),
    )
    with op.batch_alter_table("assessment_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_parts_assessment_uuid"), ["assessment_uuid"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_parts_assessment_uuid"))

    op.drop_table("assessment_parts")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_submission_uuid"))

    op.drop_table("assessments")
    with op.batch_alter_table("grading_workflows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grading_workflows_submission_uuid"))
        batch_op.drop_index("ix_grading_workflows_item")
        batch_op.drop_index(
            "ix_grading_workflows_incomplete",
            sqlite_where=sa.text("completed_at IS NULL"),
            postgresql_where=sa.text("completed_at IS NULL"),
        )

    op.drop_table("grading_workflows")
    op.drop_table("classifiers")
    with op.batch_alter_table("training_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_examples_workflow_uuid"))

    op.drop_table("training_examples")
    with op.batch_alter_table("classifier_sets", schema=None) as batch_op:
        batch_op.drop_index("ix_classifier_sets_item")

    op.drop_table("classifier_sets")
    with op.batch_alter_table("training_workflows", schema=None) as batch_op:
        batch_op.drop_index("ix_training_workflows_item")
        batch_op.drop_index(
            "ix_training_workflows_incomplete",
            sqlite_where=sa.text("completed_at IS NULL"),
            postgresql_where=sa.text("completed_at IS NULL"),
        )

    op.drop_table("training_workflows")
    op.drop_table("items")
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_item")

    op.drop_table("submissions")
    with op.batch_alter_table("rubrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubrics_structure_hash"))

    op.drop_table("rubrics")
