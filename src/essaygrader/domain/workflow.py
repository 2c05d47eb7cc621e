"""Workflows: the only mutable records, tracking a training or grading task to completion."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class TaskType(StrEnum):
    TRAIN = "train"
    GRADE = "grade"


class WorkflowStatus(StrEnum):
    """Where a workflow stands.

    ``waiting``: a grading workflow with no classifier set yet (training has not finished).
    ``scheduled``: its task is on a queue or running. ``failed``: retries ran out; it keeps
    its last error until someone reschedules it. ``complete``: done; the result is kept.
    """

    WAITING = "waiting"
    SCHEDULED = "scheduled"
    FAILED = "failed"
    COMPLETE = "complete"


def workflow_status(
    *,
    completed_at: datetime | None,
    failed_at: datetime | None,
    has_classifier_set: bool = True,
) -> WorkflowStatus:
    """Derive a workflow's status from its timestamps."""
    if completed_at is not None:
        return WorkflowStatus.COMPLETE
    if failed_at is not None:
        return WorkflowStatus.FAILED
    if not has_classifier_set:
        return WorkflowStatus.WAITING
    return WorkflowStatus.SCHEDULED
