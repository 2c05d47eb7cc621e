"""The audit log: staff actions on people's data and on access, readable by admins.

Records are written by the action itself, in its transaction (an erasure that failed
leaves no record, and no erasure happens without one), and never changed.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essaygrader.api.base import APIBase, page
from essaygrader.api.records import internal_errors, stamp
from essaygrader.contract import AuditPage, AuditRecordOut
from essaygrader.db.models import AuditRecord, utcnow
from essaygrader.domain.audit import Actor, AuditAction, student_subject
from essaygrader.domain.validation import require_id
from essaygrader.errors import RequestError


def record_audit(
    session: Session,
    actor: Actor,
    action: AuditAction,
    *,
    course_id: str | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Add an audit record to ``session``'s transaction; returns its uuid."""
    record = AuditRecord(
        at=utcnow(),
        action=action.value,
        actor=actor.name[:255],
        actor_token_uuid=actor.token_uuid,
        course_id=course_id,
        subject=subject,
        details=details or {},
    )
    session.add(record)
    session.flush()
    return record.uuid


def audit_json(record: AuditRecord) -> AuditRecordOut:
    return {
        "uuid": record.uuid,
        "at": stamp(record.at),
        "action": cast("Any", record.action),
        "actor": record.actor,
        "actor_token_uuid": record.actor_token_uuid,
        "course_id": record.course_id,
        "subject": record.subject,
        "details": dict(record.details),
    }


class AuditAPI(APIBase):
    def list_audit_records(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        course_id: str | None = None,
        action: str | None = None,
        student_id: str | None = None,
    ) -> AuditPage:
        """The audit log, newest first.

        Args:
            course_id: Only records about this course.
            action: Only this action (``student_erased``, ``texts_purged``,
                ``token_created``, ``token_revoked``).
            student_id: Only records about this student of ``course_id`` (erasures name
                students by digest; this finds theirs).

        Raises:
            RequestError: ``audit_invalid``; an unknown action, or a student without a course.
        """
        offset, limit = page(offset, limit, "audit_invalid")
        query = select(AuditRecord)
        if course_id is not None:
            query = query.where(
                AuditRecord.course_id == require_id(course_id, "course_id", "audit_invalid")
            )
        if action is not None:
            if action not in {a.value for a in AuditAction}:
                raise RequestError(
                    f"unknown action {action!r}; use {', '.join(a.value for a in AuditAction)}",
                    field="action",
                    code="audit_invalid",
                )
            query = query.where(AuditRecord.action == action)
        if student_id is not None:
            if course_id is None:
                raise RequestError(
                    "give the student's course_id too: students are named per course",
                    field="student_id",
                    code="audit_invalid",
                )
            student = require_id(student_id, "student_id", "audit_invalid")
            query = query.where(AuditRecord.subject == student_subject(course_id, student))
        with (
            internal_errors("audit_internal_error", "reading the audit log"),
            self.database.transaction(read_only=True) as session,
        ):
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            records = session.scalars(
                query.order_by(AuditRecord.at.desc(), AuditRecord.uuid).offset(offset).limit(limit)
            )
            return {
                "audit_records": [audit_json(r) for r in records],
                "total": total,
                "offset": offset,
                "limit": limit,
            }
