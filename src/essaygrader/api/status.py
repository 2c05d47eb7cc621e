"""The backlog: workflow counts, the oldest unfinished work, and the workers alive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essaygrader.api.outbox import outbox_length
from essaygrader.api.records import stamp
from essaygrader.contract import OldestUnfinished, StatusOut, WorkerOut, WorkflowCounts
from essaygrader.db.models import (
    GradingWorkflowRecord,
    TrainingWorkflowRecord,
    WorkerHeartbeatRecord,
    utcnow,
)
from essaygrader.db.workflows import status_column, unfinished
from essaygrader.domain.item import ItemKey


def backlog_status(
    session: Session,
    key: ItemKey | None,
    *,
    heartbeat_seconds: float,
    course_ids: Sequence[str] | None = None,
) -> StatusOut:
    """Counts and ages of workflows, live workers and the outbox's length.

    Args:
        key: Only this item's workflows.
        course_ids: Only workflows of these courses.
    """
    now = utcnow()
    counts_by_type: dict[str, WorkflowCounts] = {}
    oldest_by_type: dict[str, OldestUnfinished | None] = {}
    for task_type, model in (("train", TrainingWorkflowRecord), ("grade", GradingWorkflowRecord)):
        status = status_column(model)
        scope = (
            [] if key is None else [model.course_id == key.course_id, model.item_id == key.item_id]
        )
        if course_ids is not None:
            scope.append(model.course_id.in_(list(course_ids)))
        rows = session.execute(select(status, func.count()).where(*scope).group_by(status))
        found: dict[str, int] = dict(rows.all())
        counts_by_type[task_type] = {
            "waiting": found.get("waiting", 0),
            "scheduled": found.get("scheduled", 0),
            "failed": found.get("failed", 0),
            "complete": found.get("complete", 0),
        }
        oldest = session.execute(
            select(model.uuid, model.created_at)
            .where(*scope, unfinished(model))
            .order_by(model.created_at)
            .limit(1)
        ).first()
        oldest_by_type[task_type] = (
            None
            if oldest is None
            else {
                "uuid": oldest.uuid,
                "created_at": stamp(oldest.created_at),
                "age_seconds": round((now - oldest.created_at).total_seconds(), 1),
            }
        )
    alive_since = now - timedelta(seconds=3 * heartbeat_seconds)
    workers: list[WorkerOut] = [
        {
            "name": w.name,
            "queues": w.queues.split(","),
            "started_at": stamp(w.started_at),
            "last_seen": stamp(w.last_seen),
        }
        for w in session.scalars(
            select(WorkerHeartbeatRecord)
            .where(WorkerHeartbeatRecord.last_seen >= alive_since)
            .order_by(WorkerHeartbeatRecord.name)
        )
    ]
    return {
        "workflows": {"train": counts_by_type["train"], "grade": counts_by_type["grade"]},
        "oldest_unfinished": {"train": oldest_by_type["train"], "grade": oldest_by_type["grade"]},
        "workers": workers,
        "queues": {},
        "outbox": outbox_length(session),
    }
