"""What a workflow's state means: the one place that says it, in Python and in SQL.

A workflow is the only record that changes. Its timestamps and its classifier set say
where it stands:

* **complete**: ``completed_at`` is set; its result is kept and never replaced.
* **failed**: not complete, ``failed_at`` set: retries or attempts ran out, and the last
  error is kept until someone reschedules it.
* **waiting** (grading only): neither, and no classifier set yet: training has not
  finished, and training completion schedules it.
* **scheduled**: neither, with a classifier set (training workflows always): its task is
  on a queue or running.
* **unfinished**: not complete (waiting, scheduled or failed); the backlog.
* **open**: neither complete nor failed (waiting or scheduled): a task may still act on it.
* **running**: scheduled, and its latest attempt was started by a live worker within its
  task type's hard time limit; the sweeper leaves it alone.
* **gave up**: started ``max_attempts`` times without finishing; it is failed instead of
  started again.

Each rule is written once here, as a predicate on a record and, where queries need it,
as a SQL expression on the record's table; the two are kept side by side so they cannot
drift apart (``tests/unit/db/test_workflows.py`` checks that they agree). The statuses
themselves, and which of them are unfinished, are in :mod:`essaygrader.domain.workflow`,
for layers that see statuses but not records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, true

from essaygrader.db.models import GradingWorkflowRecord, TrainingWorkflowRecord
from essaygrader.domain.workflow import WorkflowStatus

WorkflowRecord = TrainingWorkflowRecord | GradingWorkflowRecord
WorkflowModel = type[TrainingWorkflowRecord] | type[GradingWorkflowRecord]


# Python, on one record ----------------------------------------------------------------


def status_of(workflow: WorkflowRecord) -> WorkflowStatus:
    """Where a workflow stands; see the module docstring."""
    if workflow.completed_at is not None:
        return WorkflowStatus.COMPLETE
    if workflow.failed_at is not None:
        return WorkflowStatus.FAILED
    if isinstance(workflow, GradingWorkflowRecord) and workflow.classifier_set_uuid is None:
        return WorkflowStatus.WAITING
    return WorkflowStatus.SCHEDULED


def is_open(workflow: WorkflowRecord) -> bool:
    """Neither complete nor failed: a task may still act on it."""
    return workflow.completed_at is None and workflow.failed_at is None


def out_of_attempts(workflow: WorkflowRecord, max_attempts: int) -> bool:
    """Started ``max_attempts`` times already: it is failed rather than started again."""
    return workflow.attempts >= max_attempts


def give_up(workflow: WorkflowRecord, now: datetime) -> None:
    """Fail a workflow that is out of attempts, keeping its last error in the message."""
    workflow.failed_at = now
    workflow.last_error = gave_up_message(workflow.attempts, workflow.last_error)


def gave_up_message(attempts: int, last_error: str | None) -> str:
    """The error kept on a workflow that ran out of attempts."""
    return (
        f"gave up after {attempts} attempts; last error: {last_error or 'none recorded'}. "
        "Fix the cause, then reschedule the item's unfinished tasks"
    )


def may_be_running(
    workflow: WorkflowRecord, alive: set[str], now: datetime, limit_seconds: float
) -> bool:
    """Whether its latest attempt may still be running: started, since it was last
    scheduled, by a worker whose heartbeat is fresh, less than the hard time limit ago."""
    started = workflow.started_at
    return (
        workflow.started_by in alive
        and started is not None
        and workflow.scheduled_at is not None
        and started >= workflow.scheduled_at
        and (now - started).total_seconds() < limit_seconds
    )


def completed_values(now: datetime) -> dict[str, Any]:
    """The columns that complete a workflow (an earlier attempt's error is cleared)."""
    return {"completed_at": now, "failed_at": None, "last_error": None}


def failed_values(now: datetime, error: str) -> dict[str, Any]:
    """The columns that fail a workflow, keeping ``error`` for staff."""
    return {"failed_at": now, "last_error": error}


def rescheduled_values(now: datetime) -> dict[str, Any]:
    """The columns that schedule an unfinished workflow afresh, failed ones included."""
    return {"scheduled_at": now, "failed_at": None, "attempts": 0}


# SQL, on a table -----------------------------------------------------------------------


def unfinished(model: WorkflowModel) -> ColumnElement[bool]:
    """Not complete: waiting, scheduled or failed (``UNFINISHED_STATUSES``)."""
    return model.completed_at.is_(None)


def open_(model: WorkflowModel) -> ColumnElement[bool]:
    """Neither complete nor failed: waiting or scheduled."""
    return and_(model.completed_at.is_(None), model.failed_at.is_(None))


def _has_classifier_set(model: WorkflowModel) -> ColumnElement[bool]:
    if model is GradingWorkflowRecord:
        return GradingWorkflowRecord.classifier_set_uuid.is_not(None)
    return true()


def without_classifier_set(model: WorkflowModel) -> ColumnElement[bool]:
    """No classifier set yet (grading workflows only; a training workflow never lacks one
    in the sense of waiting)."""
    if model is GradingWorkflowRecord:
        return GradingWorkflowRecord.classifier_set_uuid.is_(None)
    return false()


def has_status(model: WorkflowModel, status: WorkflowStatus) -> ColumnElement[bool]:
    """The rows in ``status``, as :func:`status_of` decides it."""
    if status is WorkflowStatus.COMPLETE:
        return model.completed_at.is_not(None)
    if status is WorkflowStatus.FAILED:
        return and_(model.completed_at.is_(None), model.failed_at.is_not(None))
    if status is WorkflowStatus.WAITING:
        return and_(open_(model), without_classifier_set(model))
    return and_(open_(model), _has_classifier_set(model))


def status_column(model: WorkflowModel) -> ColumnElement[str]:
    """Each row's status as a column, as :func:`status_of` decides it."""
    return case(
        (model.completed_at.is_not(None), WorkflowStatus.COMPLETE.value),
        (model.failed_at.is_not(None), WorkflowStatus.FAILED.value),
        (without_classifier_set(model), WorkflowStatus.WAITING.value),
        else_=WorkflowStatus.SCHEDULED.value,
    )


def waiting(model: type[GradingWorkflowRecord]) -> ColumnElement[bool]:
    """Grading workflows that wait for their item's classifiers."""
    return has_status(model, WorkflowStatus.WAITING)


def scheduled_before(model: WorkflowModel, cutoff: datetime) -> ColumnElement[bool]:
    """Open workflows last scheduled before ``cutoff``: the sweeper's candidates."""
    return and_(open_(model), model.scheduled_at.is_not(None), model.scheduled_at < cutoff)


def started_by_dead_worker(
    model: WorkflowModel, alive: set[str], started_before: datetime
) -> ColumnElement[bool]:
    """Open workflows whose latest attempt, started since they were last scheduled and
    before ``started_before``, belongs to a worker not in ``alive`` (its heartbeat has
    stopped): on a broker that does not deliver a dead worker's tasks again, nothing
    else will finish them."""
    return and_(
        open_(model),
        model.scheduled_at.is_not(None),
        model.started_by.is_not(None),
        model.started_by.not_in(sorted(alive)),
        model.started_at >= model.scheduled_at,
        model.started_at < started_before,
    )
