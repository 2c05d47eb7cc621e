"""Staff in the loop: staff assessments, the assessment history, and review of held AI
grades.

Which assessment counts is :func:`essaygrader.api.records.current_assessment`: the
newest staff assessment, else the newest released AI assessment.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from essaygrader.api.base import APIBase, page
from essaygrader.api.records import (
    assessment_json,
    assessment_of,
    assessments_of_submissions,
    find_item,
    flag_out,
    internal_errors,
    rubric_of,
    stamp,
    submission_review_status,
)
from essaygrader.contract import AssessmentOut, AssessmentsList, ReviewsPage
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    SubmissionRecord,
    new_uuid,
    utcnow,
)
from essaygrader.domain.assessment import (
    ASSESSMENT_TYPE_AI,
    ASSESSMENT_TYPE_STAFF,
    ReviewStatus,
    parse_staff_grade,
)
from essaygrader.domain.item import ItemKey
from essaygrader.domain.validation import require_id, require_text
from essaygrader.errors import ConflictError, NotFoundError, RequestError

log = logging.getLogger(__name__)

REVIEW_ACTIONS = ("confirm",)
MAX_SCORER_CHARS = 100


class ReviewsAPI(APIBase):
    def create_staff_assessment(
        self,
        submission_uuid: str,
        options_selected: dict[str, str],
        *,
        feedback: dict[str, str] | None = None,
        overall_feedback: str = "",
        scorer_id: str = "staff",
    ) -> AssessmentOut:
        """Record a staff assessment of a submission, before or after AI grading.

        It is immutable and timestamped, and becomes the submission's current assessment
        (an override of any AI assessment, held or released). It is also a training
        example for the item's next training from graded submissions.

        Args:
            options_selected: ``{criterion: option name}`` for every scored criterion
                of the item's rubric.
            feedback: ``{criterion: text}`` for any criterion, feedback-only ones too.
            overall_feedback: A comment on the whole essay.
            scorer_id: Who graded (over HTTP, the token's name).

        Raises:
            NotFoundError: ``submission_not_found``; no such submission.
            RequestError: ``assessment_invalid``; naming the field at fault, e.g.
                ``options_selected.ideas``.
        """
        uuid = require_id(submission_uuid, "submission_uuid", "assessment_invalid")
        scorer = require_text(
            scorer_id, "scorer_id", "assessment_invalid", max_chars=MAX_SCORER_CHARS
        )
        with (
            internal_errors("assessment_internal_error", f"recording a staff grade of {uuid}"),
            self.database.transaction() as session,
        ):
            submission = find_submission(session, uuid)
            item = find_item(
                session, ItemKey(submission.course_id, submission.item_id), lock="share"
            )
            rubric = rubric_of(item.rubric)
            grade = parse_staff_grade(rubric, options_selected, feedback, overall_feedback)
            row: dict[str, Any] = {
                "uuid": new_uuid(),
                "submission_uuid": uuid,
                "grading_workflow_uuid": None,
                "classifier_set_uuid": None,
                "score_type": ASSESSMENT_TYPE_STAFF,
                "scorer_id": scorer,
                "points_possible": rubric.points_possible,
                "scored_at": utcnow(),
                "feedback": grade.feedback,
                "overall_feedback": grade.overall_feedback,
                "flags": [],
                "review_status": ReviewStatus.RELEASED.value,
            }
            session.execute(insert(AssessmentRecord), [row])
            if grade.parts:
                session.execute(
                    insert(AssessmentPartRecord),
                    [
                        {
                            "assessment_uuid": row["uuid"],
                            "criterion": p.criterion,
                            "option": p.option,
                            "points": p.points,
                            "confidence": p.confidence,
                        }
                        for p in grade.parts
                    ],
                )
            record = session.scalar(
                select(AssessmentRecord).where(AssessmentRecord.uuid == row["uuid"])
            )
            assert record is not None
            return assessment_json(assessment_of(record))

    def list_assessments(self, submission_uuid: str) -> AssessmentsList:
        """Every assessment of a submission, newest first: AI (held ones too) and staff.

        Raises:
            NotFoundError: ``submission_not_found``; no such submission.
        """
        uuid = require_id(submission_uuid, "submission_uuid", "assessment_invalid")
        with (
            internal_errors("assessment_internal_error", f"reading assessments of {uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            find_submission(session, uuid)
            records = assessments_of_submissions(session, [uuid])[uuid]
            return {"assessments": [assessment_json(assessment_of(r)) for r in records]}

    def review_assessment(
        self, submission_uuid: str, action: str = "confirm", *, reviewer_id: str = "staff"
    ) -> AssessmentOut:
        """Decide on the AI assessment of a submission held for review.

        ``confirm`` releases it: it becomes the current assessment. To change the grade
        instead, record a staff assessment (:meth:`create_staff_assessment`).

        Args:
            action: ``confirm``.
            reviewer_id: Who reviewed (over HTTP, the token's name).

        Raises:
            NotFoundError: ``submission_not_found``; no such submission.
            RequestError: ``review_invalid``; an unknown action.
            ConflictError: ``nothing_to_review``; no assessment of the submission is held
                (never graded, released at grading, confirmed, or overridden by staff).
        """
        uuid = require_id(submission_uuid, "submission_uuid", "review_invalid")
        if action not in REVIEW_ACTIONS:
            raise RequestError(
                f"unknown action {action!r}; use {', '.join(REVIEW_ACTIONS)} (to change the "
                "grade, record a staff assessment)",
                field="action",
                code="review_invalid",
            )
        reviewer = require_text(
            reviewer_id, "reviewer_id", "review_invalid", max_chars=MAX_SCORER_CHARS
        )
        with (
            internal_errors("assessment_internal_error", f"reviewing submission {uuid}"),
            self.database.transaction() as session,
        ):
            find_submission(session, uuid)
            records = list(
                session.scalars(
                    select(AssessmentRecord)
                    .where(AssessmentRecord.submission_uuid == uuid)
                    .with_for_update(of=AssessmentRecord)
                )
            )
            if submission_review_status(records) != "pending":
                raise ConflictError(
                    f"no assessment of submission {uuid} is held for review",
                    field="submission_uuid",
                    code="nothing_to_review",
                )
            held = max(
                (r for r in records if r.score_type == ASSESSMENT_TYPE_AI),
                key=lambda r: (r.scored_at, r.uuid),
            )
            held.review_status = ReviewStatus.CONFIRMED.value
            held.reviewed_by = reviewer
            held.reviewed_at = utcnow()
            session.flush()
            return assessment_json(assessment_of(held))

    def list_reviews(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ReviewsPage:
        """An item's AI assessments held for review, oldest first (graded together: in the
        order their essays arrived).

        A held assessment leaves the list when staff confirm it or record a staff
        assessment of its submission.

        Returns:
            ``{"reviews": [{"submission_uuid", "assessment_uuid", "flags",
            "lowest_confidence", "points_earned", "points_possible", "scored_at"}],
            "total", "offset", "limit"}``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
        """
        key = ItemKey.parse(course_id, item_id)
        offset, limit = page(offset, limit, "review_invalid")
        with (
            internal_errors("assessment_internal_error", f"listing reviews of item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            find_item(session, key)
            query = _held(key)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            records = session.scalars(
                query.order_by(AssessmentRecord.scored_at, SubmissionRecord.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return {
                "reviews": [
                    {
                        "submission_uuid": r.submission_uuid,
                        "assessment_uuid": r.uuid,
                        "flags": [flag_out(f) for f in r.flags],
                        "lowest_confidence": min((p.confidence for p in r.parts), default=None),
                        "points_earned": sum(p.points for p in r.parts),
                        "points_possible": r.points_possible,
                        "scored_at": stamp(r.scored_at),
                    }
                    for r in records
                ],
                "total": total,
                "offset": offset,
                "limit": limit,
            }


def find_submission(session: Session, uuid: str) -> SubmissionRecord:
    """The submission ``uuid``.

    Raises:
        NotFoundError: ``submission_not_found``; no such submission.
    """
    submission = session.scalar(select(SubmissionRecord).where(SubmissionRecord.uuid == uuid))
    if submission is None:
        raise NotFoundError(
            f"no submission {uuid!r}", field="submission_uuid", code="submission_not_found"
        )
    return submission


def _held(key: ItemKey) -> Any:
    """The item's held AI assessments: pending, the newest AI one of their submission,
    whose submission has no staff assessment (the SQL form of
    :func:`essaygrader.api.records.submission_review_status` being ``pending``)."""
    other = aliased(AssessmentRecord)
    staff = aliased(AssessmentRecord)
    newer_ai = (
        select(other.uuid)
        .where(
            other.submission_uuid == AssessmentRecord.submission_uuid,
            other.score_type == ASSESSMENT_TYPE_AI,
            or_(
                other.scored_at > AssessmentRecord.scored_at,
                and_(
                    other.scored_at == AssessmentRecord.scored_at,
                    other.uuid > AssessmentRecord.uuid,
                ),
            ),
        )
        .exists()
    )
    staff_graded = (
        select(staff.uuid)
        .where(
            staff.submission_uuid == AssessmentRecord.submission_uuid,
            staff.score_type == ASSESSMENT_TYPE_STAFF,
        )
        .exists()
    )
    return (
        select(AssessmentRecord)
        .join(SubmissionRecord, SubmissionRecord.uuid == AssessmentRecord.submission_uuid)
        .where(
            SubmissionRecord.course_id == key.course_id,
            SubmissionRecord.item_id == key.item_id,
            AssessmentRecord.score_type == ASSESSMENT_TYPE_AI,
            AssessmentRecord.review_status == ReviewStatus.PENDING.value,
            ~newer_ai,
            ~staff_graded,
        )
    )
