"""Reading records: lookups shared by both sides of the API, and their JSON shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from essaygrader.contract import (
    AssessmentOut,
    ClassifierSetOut,
    GradingWorkflowOut,
    ItemOut,
    QualityMetrics,
    RubricOut,
    TrainingWorkflowOut,
)
from essaygrader.db.models import (
    AssessmentRecord,
    ClassifierSetRecord,
    GradingWorkflowRecord,
    ItemRecord,
    RubricRecord,
    TrainingWorkflowRecord,
)
from essaygrader.db.workflows import status_of
from essaygrader.domain.assessment import Assessment, AssessmentPart
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


def item_json(item: ItemRecord, warnings: list[str] | None = None) -> ItemOut:
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
    }


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
    }


def assessment_of(record: AssessmentRecord, workflow_uuid: str) -> Assessment:
    return Assessment(
        uuid=record.uuid,
        submission_uuid=record.submission_uuid,
        grading_workflow_uuid=workflow_uuid,
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
    )
