"""Service statistics read from the database: what a metrics endpoint reports.

Workers run in other processes, so task outcomes and durations come from the workflow
records every worker writes (started, completed and failed times, attempts), not from
counters kept in memory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.orm import Session

from essaygrader.api.base import APIBase
from essaygrader.api.records import internal_errors
from essaygrader.api.status import backlog_status
from essaygrader.db.models import (
    ClassifierSetRecord,
    GradingWorkflowRecord,
    ItemRecord,
    RubricRecord,
    TrainingWorkflowRecord,
)
from essaygrader.db.workflows import has_status
from essaygrader.domain.workflow import WorkflowStatus

# Seconds; grading takes seconds to minutes, training minutes to an hour.
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class StatisticsAPI(APIBase):
    def statistics(self) -> dict[str, Any]:
        """Workflow counts, task durations and attempts by type, and the quality of each
        item's current classifier set.

        Returns:
            ``{"workflows": {type: {status: n}}, "oldest_unfinished": {type: {...}},
            "durations": {type: {"count", "sum", "buckets": [[le, n], ...]}},
            "attempts": {type: n}, "classifier_sets": [...], "queues": {name: n}}``.
        """
        with (
            internal_errors("grading_internal_error", "reading statistics"),
            self.database.transaction(read_only=True) as session,
        ):
            result: dict[str, Any] = dict(
                backlog_status(
                    session, None, heartbeat_seconds=self.settings.worker_heartbeat_seconds
                )
            )
            result["durations"] = {}
            result["attempts"] = {}
            for task_type, model in (
                ("train", TrainingWorkflowRecord),
                ("grade", GradingWorkflowRecord),
            ):
                result["durations"][task_type] = _durations(session, model)
                result["attempts"][task_type] = (
                    session.scalar(select(func.coalesce(func.sum(model.attempts), 0))) or 0
                )
            result["classifier_sets"] = _current_sets(session)
        result["queues"] = self.task_queue.queue_lengths()
        return result


def _seconds(session: Session, start: Any, end: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.extract("epoch", end - start), Float)


def _durations(session: Session, model: Any) -> dict[str, Any]:
    """Run time of the last attempt of every completed workflow, as histogram buckets."""
    seconds = _seconds(session, model.started_at, model.completed_at)
    done = (has_status(model, WorkflowStatus.COMPLETE), model.started_at.is_not(None))
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(seconds), 0.0),
            *(
                func.coalesce(func.sum(case((seconds <= le, 1), else_=0)), 0)
                for le in DURATION_BUCKETS
            ),
        ).where(*done)
    ).one()
    count, total, *buckets = row
    return {
        "count": int(count),
        "sum": round(float(total), 6),
        "buckets": [[le, int(n)] for le, n in zip(DURATION_BUCKETS, buckets, strict=True)],
    }


def _current_sets(session: Session) -> list[dict[str, Any]]:
    """For each item, its newest classifier set for its current rubric structure."""
    rows = session.execute(
        select(ClassifierSetRecord)
        .join(
            ItemRecord,
            (ItemRecord.course_id == ClassifierSetRecord.course_id)
            & (ItemRecord.item_id == ClassifierSetRecord.item_id),
        )
        .join(RubricRecord, RubricRecord.id == ItemRecord.rubric_id)
        .where(RubricRecord.structure_hash == ClassifierSetRecord.structure_hash)
        .order_by(
            ClassifierSetRecord.course_id,
            ClassifierSetRecord.item_id,
            ClassifierSetRecord.created_at.desc(),
            ClassifierSetRecord.uuid.desc(),
        )
    ).scalars()
    newest: dict[tuple[str, str], ClassifierSetRecord] = {}
    for record in rows:
        newest.setdefault((record.course_id, record.item_id), record)
    return [
        {
            "course_id": r.course_id,
            "item_id": r.item_id,
            "uuid": r.uuid,
            "algorithm_id": r.algorithm_id,
            "created_at": r.created_at.timestamp(),
            "metrics": r.metrics,
        }
        for r in newest.values()
    ]
