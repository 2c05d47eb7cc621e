"""SQLAlchemy models. Every table but the workflows and items holds immutable rows.

Workflows are the only records that change after they are written (status, attempts,
errors); assessments and classifier sets are written once, and "current" means newest.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class RubricRecord(Base):
    """A rubric definition, stored once per distinct content."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    structure_hash: Mapped[str] = mapped_column(String(64), index=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemRecord(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("course_id", "item_id", name="uq_items_course_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    prompt: Mapped[str] = mapped_column(Text, default="")
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    algorithm_id: Mapped[str | None] = mapped_column(String(100))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    min_qwk: Mapped[float | None] = mapped_column(Float)
    # Which AI assessments are held for staff review: none, flagged or all.
    review_policy: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    review_confidence_below: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    rubric: Mapped[RubricRecord] = relationship(lazy="joined", innerjoin=True)


class WorkflowColumns:
    """What every workflow records: its item, and where it stands on the way to done.

    Workflows are the only records that change: a task that starts counts an attempt, a
    failure keeps its error, and completion sets ``completed_at`` once.
    """

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    course_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The worker that began the latest attempt: the sweeper leaves a workflow alone
    # while that worker is alive and the attempt is within its time limit.
    started_by: Mapped[str | None] = mapped_column(String(255))

    @declared_attr
    def rubric(cls) -> Mapped[RubricRecord]:
        return relationship(lazy="joined", innerjoin=True)


def unfinished_index(table: str) -> Index:
    """The sweeper's index: unfinished workflows by the time they were last scheduled."""
    return Index(
        f"ix_{table}_incomplete",
        "scheduled_at",
        sqlite_where=text("completed_at IS NULL"),
        postgresql_where=text("completed_at IS NULL"),
    )


class TrainingWorkflowRecord(WorkflowColumns, Base):
    __tablename__ = "training_workflows"
    __table_args__ = (
        Index("ix_training_workflows_item", "course_id", "item_id", "created_at"),
        unfinished_index("training_workflows"),
    )

    algorithm_id: Mapped[str] = mapped_column(String(100))
    classifier_set_uuid: Mapped[str | None] = mapped_column(String(36))
    criteria_done: Mapped[int] = mapped_column(default=0)
    criteria_total: Mapped[int] = mapped_column(default=0)
    # What the training used: examples uploaded, and staff-graded submissions.
    uploaded_examples: Mapped[int] = mapped_column(default=0, server_default="0")
    graded_examples: Mapped[int] = mapped_column(default=0, server_default="0")


class TrainingExampleRecord(Base):
    __tablename__ = "training_examples"
    __table_args__ = (
        UniqueConstraint("workflow_uuid", "position", name="uq_training_examples_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_uuid: Mapped[str] = mapped_column(ForeignKey("training_workflows.uuid"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    options_selected: Mapped[dict[str, Any]]
    # Set when the example is a staff-graded submission rather than an uploaded essay.
    submission_uuid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassifierSetRecord(Base):
    __tablename__ = "classifier_sets"
    __table_args__ = (Index("ix_classifier_sets_item", "course_id", "item_id", "created_at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    course_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    structure_hash: Mapped[str] = mapped_column(String(64))
    algorithm_id: Mapped[str] = mapped_column(String(100))
    training_workflow_uuid: Mapped[str] = mapped_column(
        ForeignKey("training_workflows.uuid"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The item profile the advisory flags compare essays with (ItemProfile.to_json), or
    # None for a set trained before profiles existed.
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    rubric: Mapped[RubricRecord] = relationship(lazy="joined", innerjoin=True)
    classifiers: Mapped[list[ClassifierRecord]] = relationship(
        lazy="selectin", order_by="ClassifierRecord.id"
    )


class ClassifierRecord(Base):
    __tablename__ = "classifiers"
    __table_args__ = (
        UniqueConstraint("classifier_set_uuid", "criterion", name="uq_classifiers_set_criterion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    classifier_set_uuid: Mapped[str] = mapped_column(ForeignKey("classifier_sets.uuid"))
    criterion: Mapped[str] = mapped_column(String(100))
    blob_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    format_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionRecord(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_item", "course_id", "item_id", "id"),
        Index("ix_submissions_student", "course_id", "student_id"),
        # The retention purge's index: essays still held, by age.
        Index(
            "ix_submissions_unpurged",
            "created_at",
            sqlite_where=text("text_purged_at IS NULL"),
            postgresql_where=text("text_purged_at IS NULL"),
        ),
    )

    # The integer key keeps the order submissions arrived in, even within one batch.
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    course_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    student_id: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    answer: Mapped[Any] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the retention period purged the essay (text and answer emptied, scores kept).
    text_purged_at: Mapped[datetime | None]
    # MinHash signature of the essay's word 5-grams (512 bytes; algorithms.flags.text), so
    # that grading finds near copies without reading other essays. None once purged.
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)


class GradingWorkflowRecord(WorkflowColumns, Base):
    __tablename__ = "grading_workflows"
    __table_args__ = (
        Index("ix_grading_workflows_item", "course_id", "item_id", "completed_at"),
        unfinished_index("grading_workflows"),
    )

    submission_uuid: Mapped[str] = mapped_column(ForeignKey("submissions.uuid"), index=True)
    classifier_set_uuid: Mapped[str | None] = mapped_column(ForeignKey("classifier_sets.uuid"))
    assessment_uuid: Mapped[str | None] = mapped_column(String(36))

    submission: Mapped[SubmissionRecord] = relationship()


class AssessmentRecord(Base):
    """An AI assessment (with its grading workflow and classifier set) or a staff one
    (with neither). Immutable but for ``review_status``: a held AI assessment is
    confirmed once."""

    __tablename__ = "assessments"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    submission_uuid: Mapped[str] = mapped_column(ForeignKey("submissions.uuid"), index=True)
    # One assessment per workflow: the database itself refuses a second one. Staff
    # assessments have none (NULLs never collide).
    grading_workflow_uuid: Mapped[str | None] = mapped_column(
        ForeignKey("grading_workflows.uuid"), unique=True
    )
    classifier_set_uuid: Mapped[str | None] = mapped_column(ForeignKey("classifier_sets.uuid"))
    score_type: Mapped[str] = mapped_column(String(10))
    scorer_id: Mapped[str] = mapped_column(String(100))
    points_possible: Mapped[int]
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {criterion: text}, for any criterion (feedback-only ones too), and a comment.
    feedback: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    overall_feedback: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Advisory flags computed at grading: [{"code", "message"}].
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    review_status: Mapped[str] = mapped_column(
        String(20), default="released", server_default="released"
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]

    parts: Mapped[list[AssessmentPartRecord]] = relationship(
        lazy="selectin", order_by="AssessmentPartRecord.id"
    )


class AssessmentPartRecord(Base):
    __tablename__ = "assessment_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_uuid: Mapped[str] = mapped_column(ForeignKey("assessments.uuid"), index=True)
    criterion: Mapped[str] = mapped_column(String(100))
    option: Mapped[str] = mapped_column(String(100))
    points: Mapped[int]
    confidence: Mapped[float]


class WorkerHeartbeatRecord(Base):
    """Workers record that they are alive, so commands know whether one is running."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    queues: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenRecord(Base):
    """A token for the HTTP API. Only its sha256 is kept: the token itself is shown once."""

    __tablename__ = "api_tokens"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    courses: Mapped[list[Any]] = mapped_column(JSON)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class IdempotencyKeyRecord(Base):
    """A request made with an ``Idempotency-Key``, and the response it got: a retry with the
    same key is answered this response instead of doing the work again.

    Written in the transaction of the records the request created, so a key is stored
    exactly when they are.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("owner", "operation", "key", name="uq_idempotency_keys_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The token that sent the key ("" for in-process callers): keys of two tokens never meet.
    owner: Mapped[str] = mapped_column(String(36))
    operation: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditRecord(Base):
    """One action of staff or of the service on people's data or on access: an erasure,
    a retention purge, a token created or revoked. Written in the transaction of the
    action itself, and never changed; it holds no essay text.
    """

    __tablename__ = "audit_records"
    __table_args__ = (Index("ix_audit_records_course", "course_id", "at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40))
    # Who acted: a token (its uuid and name), or the command line or the service itself.
    actor: Mapped[str] = mapped_column(String(255))
    actor_token_uuid: Mapped[str | None] = mapped_column(String(36))
    course_id: Mapped[str | None] = mapped_column(String(255))
    # What it acted on: a token's uuid, or an erased student's id as a sha256 digest.
    subject: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]


class LtiPlatformRecord(Base):
    """A course platform (an LMS) registered to launch essaygrader over LTI 1.3.

    ``student_id_claim`` says which claim of the id token becomes the student id (``sub``,
    ``email`` or ``preferred_username``); ``course_prefix`` is put before the context id
    to make the course id, so two platforms' courses never meet.
    """

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[Any]] = mapped_column(JSON)
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    keyset_url: Mapped[str] = mapped_column(String(1000))
    student_id_claim: Mapped[str] = mapped_column(String(40), default="sub")
    course_prefix: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiToolKeyRecord(Base):
    """One of the tool's RSA key pairs. The newest unretired one signs; a retired one stays
    published at the JWKS until ``retired_at`` plus the grace period. The private key is a
    secret: never logged, never served."""

    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class LtiLoginStateRecord(Base):
    """An OIDC login in flight: its state (bound to the browser by a cookie) and nonce,
    each usable once, until ``expires_at``."""

    __tablename__ = "lti_login_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    platform_uuid: Mapped[str] = mapped_column(ForeignKey("lti_platforms.uuid"))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class LtiLinkRecord(Base):
    """A resource link of a platform placed on an essaygrader item, with the AGS line item
    that takes its scores."""

    __tablename__ = "lti_links"
    __table_args__ = (
        UniqueConstraint("platform_uuid", "resource_link_id", name="uq_lti_links_platform"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_uuid: Mapped[str] = mapped_column(ForeignKey("lti_platforms.uuid"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    allow_resubmission: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiUserRecord(Base):
    """A platform's user (``sub``) and the student id it maps to."""

    __tablename__ = "lti_users"
    __table_args__ = (UniqueConstraint("platform_uuid", "sub", name="uq_lti_users_platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_uuid: Mapped[str] = mapped_column(ForeignKey("lti_platforms.uuid"))
    sub: Mapped[str] = mapped_column(String(255))
    student_id: Mapped[str] = mapped_column(String(255))
    # The dashboard token made for this user's last staff launch (revoked at the next).
    staff_token_uuid: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiSessionRecord(Base):
    """A browser's session after a launch: which user, on which link, as student or
    staff. Only the sha256 of the cookie's value is kept."""

    __tablename__ = "lti_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    lti_user_id: Mapped[int] = mapped_column(ForeignKey("lti_users.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("lti_links.id"))
    course_id: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    # A deep-linking request's return URL, data and deployment, until it is answered.
    deep_linking: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiPassbackRecord(Base):
    """Where a submission's score goes back to its platform, and how sending it went.

    ``sent_key`` names the assessment and grading progress last accepted by the platform,
    so sending the same again is skipped (idempotent); ``due`` is set while a send is owed.
    """

    __tablename__ = "lti_passbacks"

    # No foreign key: erasing a student's data removes submissions, and this row with them.
    submission_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lti_links.id"), index=True)
    lti_user_id: Mapped[int] = mapped_column(ForeignKey("lti_users.id"))
    due: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    sent_key: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEndpointRecord(Base):
    """A URL a course's platform wants events posted to, signed with ``secret``.

    The secret signs deliveries (HMAC-SHA256), so it is kept as given; it is shown once,
    when the endpoint is registered, and never logged.
    """

    __tablename__ = "webhook_endpoints"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    course_id: Mapped[str] = mapped_column(String(255), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(255))
    events: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]


class WebhookDeliveryRecord(Base):
    """One event for one endpoint: its body, and how sending it went. Deliveries of an
    endpoint go out in ``id`` order; a failing one is retried with backoff for a day."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint", "endpoint_uuid", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    endpoint_uuid: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.uuid"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]


class OutboxTaskRecord(Base):
    """A task to send to the broker, written in the transaction that made its workflows.

    The request commits it with the workflows and answers; a relay sends it and deletes
    the row. ``due_at`` is when a relay may take it: the writing process claims its own
    rows for a short lease and sends them at once, so other relays only take them if it
    dies or the broker refuses them, and a failed send moves ``due_at`` to the next try.
    """

    __tablename__ = "task_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_type: Mapped[str] = mapped_column(String(16))
    workflow_uuids: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
