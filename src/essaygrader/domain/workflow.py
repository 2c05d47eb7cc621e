"""Workflows: the only mutable records, tracking a training or grading task to completion."""

from __future__ import annotations

from enum import StrEnum


class TaskType(StrEnum):
    TRAIN = "train"
    GRADE = "grade"
    # Sending a submission's score back to its course platform (LTI AGS); the task names
    # submissions, and the state lives in ``lti_passbacks``, not in a workflow.
    PASSBACK = "passback"
    # Posting webhook deliveries (state in ``webhook_deliveries``).
    WEBHOOK = "webhook"


class WorkflowStatus(StrEnum):
    """Where a workflow stands.

    ``waiting``: a grading workflow with no classifier set yet (training has not finished).
    ``scheduled``: its task is on a queue or running. ``failed``: retries ran out; it keeps
    its last error until someone reschedules it. ``complete``: done; the result is kept.
    What decides each, in Python and in SQL, is :mod:`essaygrader.db.workflows`.
    """

    WAITING = "waiting"
    SCHEDULED = "scheduled"
    FAILED = "failed"
    COMPLETE = "complete"


UNFINISHED_STATUSES = frozenset(
    {WorkflowStatus.WAITING, WorkflowStatus.SCHEDULED, WorkflowStatus.FAILED}
)
"""The statuses of a workflow that is not complete: the backlog."""
