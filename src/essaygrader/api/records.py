"""Reading records: lookups shared by both sides of the API, and their JSON shapes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from essaygrader.contract import (
    AssessmentOut,
    ClassifierSetOut,
    FlagOut,
    GradingWorkflowOut,
    ItemOut,
    QualityMetrics,
    ReviewPolicyName,
    ReviewStatusName,
    RubricOut,
    SubmissionReviewName,
    TrainingWorkflowOut,
)
from essaygrader.db.models import (
    AssessmentRecord,
    ClassifierSetRecord,
    GradingWorkflowRecord,
    ItemRecord,
    RubricRecord,
    SubmissionRecord,
    TrainingWorkflowRecord,
)
from essaygrader.db.workflows import status_of
from essaygrader.domain.assessment import (
    ASSESSMENT_TYPE_AI,
    ASSESSMENT_TYPE_STAFF,
    Assessment,
    AssessmentPart,
    ReviewStatus,
)
from essaygrader.domain.item import ItemKey
from essaygrader.domain.rubric import Rubric
from essaygrader.errors import EssayGraderError, InternalError, NotFoundError

_RUBRICS: dict[str, Rubric] = {}


@contextmanager
def internal_errors(code: str, action: str) -> Iterator[None]:
    """Turn database failures into an internal error with ``code``, saying what was being done."""
    try:
        yield
    except EssayGraderError:
        raise
    except SQLAlchemyError as exc:
        raise InternalError(
            f"database error while {action}: {type(exc).__name__}: {exc}", code=code
        ) from exc


def rubric_of(record: RubricRecord) -> Rubric:
    """The domain rubric of a stored definition, parsed once per process."""
    rubric = _RUBRICS.get(record.content_hash)
    if rubric is None:
        rubric = _RUBRICS[record.content_hash] = Rubric.from_dict(record.definition)
    return rubric


def stored_rubric(session: Session, rubric: Rubric) -> RubricRecord:
    """The record of ``rubric``, inserting it the first time it is seen."""
    record = session.scalar(
        select(RubricRecord).where(RubricRecord.content_hash == rubric.content_hash)
    )
    if record is None:
        record = RubricRecord(
            content_hash=rubric.content_hash,
            structure_hash=rubric.structure_hash,
            definition=rubric.to_dict(),
        )
        session.add(record)
        session.flush()
    return record


def find_item(session: Session, key: ItemKey, *, lock: str | None = None) -> ItemRecord:
    """The item ``key``; ``lock`` is ``"share"`` or ``"update"`` to lock its row.

    Raises:
        NotFoundError: ``item_not_found``; no such item.
    """
    query = select(ItemRecord).where(
        ItemRecord.course_id == key.course_id, ItemRecord.item_id == key.item_id
    )
    if lock:
        query = query.with_for_update(read=lock == "share", of=ItemRecord)
    item = session.scalar(query)
    if item is None:
        raise NotFoundError(
            f"no item {key}; create it first",
            field="item_id",
            course_id=key.course_id,
            item_id=key.item_id,
            code="item_not_found",
        )
    return item


def current_classifier_set(
    session: Session, course_id: str, item_id: str, structure_hash: str
) -> ClassifierSetRecord | None:
    """The newest classifier set trained for this item with this rubric structure.

    Classifiers are never shared across items or courses.
    """
    return session.scalar(
        select(ClassifierSetRecord)
        .where(
            ClassifierSetRecord.course_id == course_id,
            ClassifierSetRecord.item_id == item_id,
            ClassifierSetRecord.structure_hash == structure_hash,
        )
        .order_by(ClassifierSetRecord.created_at.desc(), ClassifierSetRecord.uuid.desc())
        .limit(1)
    )


def find_training_workflow(
    session: Session, uuid: str, *, lock: bool = False
) -> TrainingWorkflowRecord:
    query = select(TrainingWorkflowRecord).where(TrainingWorkflowRecord.uuid == uuid)
    workflow = session.scalar(query.with_for_update(of=TrainingWorkflowRecord) if lock else query)
    if workflow is None:
        raise NotFoundError(
            f"no training workflow {uuid!r}",
            field="workflow_uuid",
            workflow_uuid=uuid,
            code="training_workflow_not_found",
        )
    return workflow


def find_grading_workflow(
    session: Session, uuid: str, *, lock: bool = False
) -> GradingWorkflowRecord:
    query = select(GradingWorkflowRecord).where(GradingWorkflowRecord.uuid == uuid)
    workflow = session.scalar(query.with_for_update(of=GradingWorkflowRecord) if lock else query)
    if workflow is None:
        raise NotFoundError(
            f"no grading workflow {uuid!r}",
            field="workflow_uuid",
            workflow_uuid=uuid,
            code="grading_workflow_not_found",
        )
    return workflow


# JSON shapes -----------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def stamp(value: datetime) -> str:
    """A timestamp that is always set, as ISO 8601."""
    return value.isoformat()


def item_json(
    item: ItemRecord, warnings: list[str] | None = None, staff: StaffCounts | None = None
) -> ItemOut:
    staff = staff or StaffCounts()
    return {
        "course_id": item.course_id,
        "item_id": item.item_id,
        "prompt": item.prompt,
        "rubric": cast(RubricOut, item.rubric.definition),
        "rubric_content_hash": item.rubric.content_hash,
        "rubric_structure_hash": item.rubric.structure_hash,
        "algorithm_id": item.algorithm_id,
        "published": item.published,
        "min_qwk": item.min_qwk,
        "created_at": stamp(item.created_at),
        "updated_at": stamp(item.updated_at),
        "warnings": warnings or [],
        "review_policy": cast(ReviewPolicyName, item.review_policy),
        "review_confidence_below": item.review_confidence_below,
        "staff_graded": staff.graded,
        "corrections_since_training": staff.since_training,
    }


@dataclass(frozen=True)
class StaffCounts:
    """An item's staff grading: submissions with a staff assessment, and staff assessments
    recorded since its newest training began."""

    graded: int = 0
    since_training: int = 0


def staff_counts(
    session: Session, items: Sequence[ItemRecord]
) -> dict[tuple[str, str], StaffCounts]:
    """:class:`StaffCounts` of each item, in two grouped queries."""
    if not items:
        return {}
    keys = [(i.course_id, i.item_id) for i in items]
    mine = or_(
        *(and_(SubmissionRecord.course_id == c, SubmissionRecord.item_id == i) for c, i in keys)
    )
    staff = (
        select(
            SubmissionRecord.course_id,
            SubmissionRecord.item_id,
            AssessmentRecord.submission_uuid,
            AssessmentRecord.scored_at,
        )
        .join(AssessmentRecord, AssessmentRecord.submission_uuid == SubmissionRecord.uuid)
        .where(mine, AssessmentRecord.score_type == ASSESSMENT_TYPE_STAFF)
    ).subquery()
    last_training = (
        select(
            TrainingWorkflowRecord.course_id,
            TrainingWorkflowRecord.item_id,
            func.max(TrainingWorkflowRecord.created_at).label("at"),
        )
        .group_by(TrainingWorkflowRecord.course_id, TrainingWorkflowRecord.item_id)
        .subquery()
    )
    rows = session.execute(
        select(
            staff.c.course_id,
            staff.c.item_id,
            func.count(func.distinct(staff.c.submission_uuid)),
            func.sum(
                case(
                    (
                        or_(last_training.c.at.is_(None), staff.c.scored_at > last_training.c.at),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .outerjoin(
            last_training,
            and_(
                last_training.c.course_id == staff.c.course_id,
                last_training.c.item_id == staff.c.item_id,
            ),
        )
        .group_by(staff.c.course_id, staff.c.item_id)
    ).all()
    return {(c, i): StaffCounts(int(g), int(n or 0)) for c, i, g, n in rows}


def item_json_counted(
    session: Session, item: ItemRecord, warnings: list[str] | None = None
) -> ItemOut:
    """An item in its JSON shape, with its staff grading counted."""
    counts = staff_counts(session, [item]).get((item.course_id, item.item_id))
    return item_json(item, warnings, counts)


def training_workflow_json(workflow: TrainingWorkflowRecord) -> TrainingWorkflowOut:
    status = status_of(workflow)
    return {
        "uuid": workflow.uuid,
        "type": "train",
        "status": status.value,
        "course_id": workflow.course_id,
        "item_id": workflow.item_id,
        "algorithm_id": workflow.algorithm_id,
        "classifier_set_uuid": workflow.classifier_set_uuid,
        "created_at": stamp(workflow.created_at),
        "scheduled_at": iso(workflow.scheduled_at),
        "started_at": iso(workflow.started_at),
        "completed_at": iso(workflow.completed_at),
        "failed_at": iso(workflow.failed_at),
        "attempts": workflow.attempts,
        "last_error": workflow.last_error,
        "criteria_done": workflow.criteria_done,
        "criteria_total": workflow.criteria_total,
        "examples_uploaded": workflow.uploaded_examples,
        "examples_from_graded": workflow.graded_examples,
    }


def grading_workflow_json(workflow: GradingWorkflowRecord) -> GradingWorkflowOut:
    status = status_of(workflow)
    return {
        "uuid": workflow.uuid,
        "type": "grade",
        "status": status.value,
        "submission_uuid": workflow.submission_uuid,
        "course_id": workflow.course_id,
        "item_id": workflow.item_id,
        "classifier_set_uuid": workflow.classifier_set_uuid,
        "assessment_uuid": workflow.assessment_uuid,
        "created_at": stamp(workflow.created_at),
        "scheduled_at": iso(workflow.scheduled_at),
        "started_at": iso(workflow.started_at),
        "completed_at": iso(workflow.completed_at),
        "failed_at": iso(workflow.failed_at),
        "attempts": workflow.attempts,
        "last_error": workflow.last_error,
    }


def classifier_set_json(record: ClassifierSetRecord) -> ClassifierSetOut:
    return {
        "uuid": record.uuid,
        "course_id": record.course_id,
        "item_id": record.item_id,
        "algorithm_id": record.algorithm_id,
        "created_at": stamp(record.created_at),
        "training_workflow_uuid": record.training_workflow_uuid,
        "rubric_content_hash": record.rubric.content_hash,
        "rubric_structure_hash": record.structure_hash,
        "classifiers": [
            {
                "criterion": c.criterion,
                "sha256": c.sha256,
                "size_bytes": c.size_bytes,
                "format_version": c.format_version,
            }
            for c in record.classifiers
        ],
        "metrics": cast(QualityMetrics | None, record.metrics),
    }


def assessment_json(assessment: Assessment) -> AssessmentOut:
    return {
        "uuid": assessment.uuid,
        "type": assessment.type,
        "submission_uuid": assessment.submission_uuid,
        "grading_workflow_uuid": assessment.grading_workflow_uuid,
        "classifier_set_uuid": assessment.classifier_set_uuid,
        "scorer_id": assessment.scorer_id,
        "scored_at": stamp(assessment.scored_at),
        "points_earned": assessment.points_earned,
        "points_possible": assessment.points_possible,
        "parts": [
            {
                "criterion": part.criterion,
                "option": part.option,
                "points": part.points,
                "confidence": part.confidence,
            }
            for part in assessment.parts
        ],
        "feedback": dict(assessment.feedback),
        "overall_feedback": assessment.overall_feedback,
        "flags": [flag_out(flag) for flag in assessment.flags],
        "review_status": cast(ReviewStatusName, assessment.review_status),
    }


def assessment_of(record: AssessmentRecord) -> Assessment:
    return Assessment(
        uuid=record.uuid,
        submission_uuid=record.submission_uuid,
        grading_workflow_uuid=record.grading_workflow_uuid,
        classifier_set_uuid=record.classifier_set_uuid,
        scorer_id=record.scorer_id,
        scored_at=record.scored_at,
        points_possible=record.points_possible,
        parts=tuple(
            AssessmentPart(
                criterion=p.criterion, option=p.option, points=p.points, confidence=p.confidence
            )
            for p in record.parts
        ),
        type=record.score_type,
        feedback=dict(record.feedback or {}),
        overall_feedback=record.overall_feedback or "",
        flags=tuple(dict(f) for f in record.flags or ()),
        review_status=record.review_status,
    )


# The current assessment ---------------------------------------------------------------


def newest_first(records: Iterable[AssessmentRecord]) -> list[AssessmentRecord]:
    """Assessments from the newest to the oldest (the uuid breaks ties of one instant)."""
    return sorted(records, key=lambda r: (r.scored_at, r.uuid), reverse=True)


def current_assessment(records: Iterable[AssessmentRecord]) -> AssessmentRecord | None:
    """The current assessment among a submission's assessments: the rule, in one place.

    The newest staff assessment if there is one; else the newest AI assessment that is
    released (at grading, or confirmed by staff); else None. An AI assessment held for
    review is never current, so platforms never see it.
    """
    ordered = newest_first(records)
    for record in ordered:
        if record.score_type == ASSESSMENT_TYPE_STAFF:
            return record
    for record in ordered:
        if ReviewStatus(record.review_status).visible:
            return record
    return None


def submission_review_status(records: Iterable[AssessmentRecord]) -> SubmissionReviewName:
    """A submission's review status, from its assessments.

    ``pending`` while its newest AI assessment is held for review and no staff
    assessment exists; ``released`` when it has a current assessment; else ``none``.
    """
    ordered = newest_first(records)
    if not any(r.score_type == ASSESSMENT_TYPE_STAFF for r in ordered):
        newest_ai = next((r for r in ordered if r.score_type == ASSESSMENT_TYPE_AI), None)
        if newest_ai is not None and newest_ai.review_status == ReviewStatus.PENDING:
            return "pending"
    return "released" if current_assessment(ordered) is not None else "none"


def assessments_of_submissions(
    session: Session, submission_uuids: Iterable[str]
) -> dict[str, list[AssessmentRecord]]:
    """Every assessment of each submission named (newest first), in one query per 500."""
    wanted = list(dict.fromkeys(submission_uuids))
    found: dict[str, list[AssessmentRecord]] = {uuid: [] for uuid in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for record in session.scalars(
            select(AssessmentRecord).where(AssessmentRecord.submission_uuid.in_(chunk))
        ):
            found[record.submission_uuid].append(record)
    return {uuid: newest_first(records) for uuid, records in found.items()}


def current_assessment_json(records: Iterable[AssessmentRecord]) -> AssessmentOut | None:
    """The current assessment of a submission in its JSON shape, or None."""
    record = current_assessment(records)
    return assessment_json(assessment_of(record)) if record else None


def flag_out(flag: Mapping[str, Any]) -> FlagOut:
    """A stored advisory flag as returned: ``code``, ``message``, and for ``duplicate``
    the ``submission_uuid`` it names."""
    out = FlagOut(code=str(flag["code"]), message=str(flag.get("message", "")))
    if isinstance(flag.get("submission_uuid"), str):
        out["submission_uuid"] = flag["submission_uuid"]
    return out
