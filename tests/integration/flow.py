"""Steps the production flows share: submitting essays and reading back what happened."""

from __future__ import annotations

import math
import time
from typing import Any

from sqlalchemy import func, select

from essaygrader.db.models import AssessmentRecord, GradingWorkflowRecord, SubmissionRecord
from essaygrader.runtime import Runtime
from tests.factories import essay


def submit(api: Any, first: int, count: int, item_id: str = "item-1") -> list[dict[str, Any]]:
    return api.submit_many(  # type: ignore[no-any-return]
        "course-a",
        item_id,
        [
            {"student_id": f"s{i}", "answer": essay(15 + (i % 7) * 15, i)}
            for i in range(first, first + count)
        ],
    )


def submit_steadily(
    api: Any, first: int, count: int, per_second: float, item_id: str = "item-1"
) -> list[dict[str, Any]]:
    """Submit one essay at a time on a fixed schedule (not after each other's return)."""
    start = time.monotonic()
    submitted = []
    for n, i in enumerate(range(first, first + count)):
        delay = start + n / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        submitted.append(api.submit("course-a", item_id, f"s{i}", essay(15 + (i % 7) * 15, i)))
    return submitted


def all_complete(api: Any, submitted: list[dict[str, Any]]) -> bool:
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    statuses = api.get_workflow_statuses(uuids)
    return len(statuses) == len(uuids) and set(statuses.values()) == {"complete"}


def assessments_per_submission(runtime: Runtime) -> dict[str, int]:
    with runtime.database.transaction(read_only=True) as session:
        counts = dict(
            session.execute(  # type: ignore[arg-type]
                select(AssessmentRecord.submission_uuid, func.count()).group_by(
                    AssessmentRecord.submission_uuid
                )
            ).all()
        )
        every = session.scalars(select(SubmissionRecord.uuid)).all()
    return {uuid: counts.get(uuid, 0) for uuid in every}


def latencies(runtime: Runtime, submitted: list[dict[str, Any]]) -> list[float]:
    """Seconds from each submission to its assessment, as the database recorded them."""
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    with runtime.database.transaction(read_only=True) as session:
        rows = session.execute(
            select(GradingWorkflowRecord.created_at, GradingWorkflowRecord.completed_at).where(
                GradingWorkflowRecord.uuid.in_(uuids)
            )
        ).all()
    return sorted((done - created).total_seconds() for created, done in rows if done)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
