"""A student's data: erasing what the service holds about a student of a course.

For a right-to-erasure request: the student's submissions (with their essay texts),
grading workflows and assessments in the course are deleted in one transaction, which
also writes an audit record naming the student only by digest and holding counts, never
text. Grading tasks still queued for them find nothing and are dropped.

Training examples are not linked to students (they carry no student id) and stay.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from essaygrader.api.audit import record_audit
from essaygrader.api.base import APIBase
from essaygrader.api.records import internal_errors
from essaygrader.contract import Erased
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    GradingWorkflowRecord,
    SubmissionRecord,
)
from essaygrader.domain.audit import IN_PROCESS, Actor, AuditAction, student_subject
from essaygrader.domain.validation import require_id


def _deleted(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class StudentDataAPI(APIBase):
    def erase_student(
        self, course_id: str, student_id: str, *, actor: Actor = IN_PROCESS
    ) -> Erased:
        """Delete a student's submissions, grading workflows and assessments in a course.

        Args:
            actor: Who asked, for the audit record (the HTTP layer passes the token).

        Returns:
            ``{"course_id", "submissions", "assessments", "grading_workflows",
            "audit_uuid"}``: what was deleted (0 each when nothing was held), and the
            audit record that says so.

        Raises:
            RequestError: ``student_data_invalid``; an invalid course or student id.
        """
        course = require_id(course_id, "course_id", "student_data_invalid")
        student = require_id(student_id, "student_id", "student_data_invalid")
        with (
            internal_errors("student_data_internal_error", f"erasing a student of {course}"),
            self.database.transaction() as session,
        ):
            submissions = select(SubmissionRecord.uuid).where(
                SubmissionRecord.course_id == course, SubmissionRecord.student_id == student
            )
            assessments = select(AssessmentRecord.uuid).where(
                AssessmentRecord.submission_uuid.in_(submissions)
            )
            session.execute(
                delete(AssessmentPartRecord).where(
                    AssessmentPartRecord.assessment_uuid.in_(assessments)
                )
            )
            erased_assessments = _deleted(
                session.execute(
                    delete(AssessmentRecord).where(
                        AssessmentRecord.submission_uuid.in_(submissions)
                    )
                )
            )
            erased_workflows = _deleted(
                session.execute(
                    delete(GradingWorkflowRecord).where(
                        GradingWorkflowRecord.submission_uuid.in_(submissions)
                    )
                )
            )
            erased_submissions = _deleted(
                session.execute(
                    delete(SubmissionRecord).where(
                        SubmissionRecord.course_id == course,
                        SubmissionRecord.student_id == student,
                    )
                )
            )
            erased: Erased = {
                "course_id": course,
                "submissions": erased_submissions,
                "assessments": erased_assessments,
                "grading_workflows": erased_workflows,
                "audit_uuid": "",
            }
            erased["audit_uuid"] = record_audit(
                session,
                actor,
                AuditAction.STUDENT_ERASED,
                course_id=course,
                subject=student_subject(course, student),
                details={
                    "submissions": erased_submissions,
                    "assessments": erased_assessments,
                    "grading_workflows": erased_workflows,
                },
            )
        return erased
