"""LTI 1.3 platforms, tool keys, logins, links, users, sessions, grade passback; webhooks

Revision ID: 0008_lti
Revises: 0007_flags
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import essaygrader.db.models

revision = "0008_lti"
down_revision = "0007_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("deployment_ids", sa.JSON(), nullable=False),
        sa.Column("auth_login_url", sa.String(length=1000), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1000), nullable=False),
        sa.Column("keyset_url", sa.String(length=1000), nullable=False),
        sa.Column("student_id_claim", sa.String(length=40), nullable=False),
        sa.Column("course_prefix", sa.String(length=100), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_lti_platforms")),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer"),
    )
    op.create_table(
        "lti_tool_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_lti_tool_keys")),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_webhook_endpoints")),
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_endpoints_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "lti_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_uuid", sa.String(length=36), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=True),
        sa.Column("allow_resubmission", sa.Boolean(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_uuid"],
            ["lti_platforms.uuid"],
            name=op.f("fk_lti_links_platform_uuid_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_links")),
        sa.UniqueConstraint("platform_uuid", "resource_link_id", name="uq_lti_links_platform"),
    )
    op.create_table(
        "lti_login_states",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("platform_uuid", sa.String(length=36), nullable=False),
        sa.Column("expires_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_uuid"],
            ["lti_platforms.uuid"],
            name=op.f("fk_lti_login_states_platform_uuid_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_lti_login_states")),
        sa.UniqueConstraint("nonce", name=op.f("uq_lti_login_states_nonce")),
    )
    with op.batch_alter_table("lti_login_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_login_states_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "lti_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_uuid", sa.String(length=36), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("student_id", sa.String(length=255), nullable=False),
        sa.Column("staff_token_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_uuid"],
            ["lti_platforms.uuid"],
            name=op.f("fk_lti_users_platform_uuid_lti_platforms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_users")),
        sa.UniqueConstraint("platform_uuid", "sub", name="uq_lti_users_platform"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("endpoint_uuid", sa.String(length=36), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("delivered_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gave_up_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_uuid"],
            ["webhook_endpoints.uuid"],
            name=op.f("fk_webhook_deliveries_endpoint_uuid_webhook_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("uuid", name=op.f("uq_webhook_deliveries_uuid")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_endpoint", ["endpoint_uuid", "id"], unique=False
        )

    op.create_table(
        "lti_passbacks",
        sa.Column("submission_uuid", sa.String(length=36), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("lti_user_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Boolean(), nullable=False),
        sa.Column("sent_key", sa.String(length=100), nullable=True),
        sa.Column("sent_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "last_attempt_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["lti_links.id"], name=op.f("fk_lti_passbacks_link_id_lti_links")
        ),
        sa.ForeignKeyConstraint(
            ["lti_user_id"], ["lti_users.id"], name=op.f("fk_lti_passbacks_lti_user_id_lti_users")
        ),
        sa.PrimaryKeyConstraint("submission_uuid", name=op.f("pk_lti_passbacks")),
    )
    with op.batch_alter_table("lti_passbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_passbacks_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_lti_passbacks_link_id"), ["link_id"], unique=False)

    op.create_table(
        "lti_sessions",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("lti_user_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("deep_linking", sa.JSON(), nullable=True),
        sa.Column("expires_at", essaygrader.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["lti_links.id"], name=op.f("fk_lti_sessions_link_id_lti_links")
        ),
        sa.ForeignKeyConstraint(
            ["lti_user_id"], ["lti_users.id"], name=op.f("fk_lti_sessions_lti_user_id_lti_users")
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_lti_sessions")),
    )
    with op.batch_alter_table("lti_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lti_sessions_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lti_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_sessions_expires_at"))

    op.drop_table("lti_sessions")
    with op.batch_alter_table("lti_passbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_passbacks_link_id"))
        batch_op.drop_index(batch_op.f("ix_lti_passbacks_due"))

    op.drop_table("lti_passbacks")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_endpoint")

    op.drop_table("webhook_deliveries")
    op.drop_table("lti_users")
    with op.batch_alter_table("lti_login_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_login_states_expires_at"))

    op.drop_table("lti_login_states")
    op.drop_table("lti_links")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_endpoints_course_id"))

    op.drop_table("webhook_endpoints")
    op.drop_table("lti_tool_keys")
    op.drop_table("lti_platforms")
