"""The workflow rules say the same thing in Python and in SQL, for every state."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from essaygrader.db import workflows as rules
from essaygrader.db.models import GradingWorkflowRecord, TrainingWorkflowRecord, utcnow
from essaygrader.domain.workflow import UNFINISHED_STATUSES, WorkflowStatus
from tests.factories import essay, examples

# Every combination of the facts a status depends on.
FACTS = list(itertools.product([False, True], repeat=3))  # completed, failed, classifiers


@pytest.fixture
def every_state(runtime, api, task_queue, item):
    """One grading and one training workflow per combination of facts."""
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    grading = [
        api.submit("course-a", "item-1", f"s{n}", essay(30))["grading_workflow_uuid"]
        for n in range(len(FACTS))
    ]
    training = [
        api.train_classifiers("course-a", "item-1", examples(30))["training_workflow_uuid"]
        for _ in FACTS
    ]
    task_queue.pending.clear()
    now = utcnow()
    with runtime.database.transaction() as session:
        for uuids, model in ((grading, GradingWorkflowRecord), (training, TrainingWorkflowRecord)):
            for uuid, (completed, failed, classifiers) in zip(uuids, FACTS, strict=True):
                workflow = session.get(model, uuid)
                workflow.completed_at = now if completed else None
                workflow.failed_at = now if failed else None
                if model is GradingWorkflowRecord and not classifiers:
                    workflow.classifier_set_uuid = None
    return {GradingWorkflowRecord: grading, TrainingWorkflowRecord: training}


@pytest.mark.parametrize("model", [GradingWorkflowRecord, TrainingWorkflowRecord])
def test_python_and_sql_agree_on_every_state(runtime, every_state, model):
    with runtime.database.transaction(read_only=True) as session:
        records = {w.uuid: w for w in session.scalars(select(model))}
        rows = session.execute(select(model.uuid, rules.status_column(model)))
        in_sql = {row[0]: row[1] for row in rows}
        for status in WorkflowStatus:
            having = set(session.scalars(select(model.uuid).where(rules.has_status(model, status))))
            assert having == {u for u, w in records.items() if rules.status_of(w) is status}
        unfinished = set(session.scalars(select(model.uuid).where(rules.unfinished(model))))
        open_ = set(session.scalars(select(model.uuid).where(rules.open_(model))))
    statuses = {uuid: rules.status_of(w) for uuid, w in records.items()}
    assert in_sql == {uuid: s.value for uuid, s in statuses.items()}
    assert unfinished == {u for u, s in statuses.items() if s in UNFINISHED_STATUSES}
    assert open_ == {u for u, w in records.items() if rules.is_open(w)}
    assert set(statuses.values()) == (
        set(WorkflowStatus)
        if model is GradingWorkflowRecord
        else set(WorkflowStatus) - {WorkflowStatus.WAITING}
    )


def test_a_complete_workflow_is_complete_whatever_else_it_records(runtime, every_state):
    with runtime.database.transaction(read_only=True) as session:
        for uuid, (completed, failed, classifiers) in zip(
            every_state[GradingWorkflowRecord], FACTS, strict=True
        ):
            status = rules.status_of(session.get(GradingWorkflowRecord, uuid))
            if completed:
                assert status is WorkflowStatus.COMPLETE
            elif failed:
                assert status is WorkflowStatus.FAILED
            else:
                assert status is (
                    WorkflowStatus.SCHEDULED if classifiers else WorkflowStatus.WAITING
                )


def test_an_attempt_may_be_running_only_on_a_live_worker_within_its_limit(runtime, every_state):
    now = utcnow()
    with runtime.database.transaction(read_only=True) as session:
        workflow = session.get(GradingWorkflowRecord, every_state[GradingWorkflowRecord][0])
    workflow.scheduled_at = now - timedelta(seconds=30)
    workflow.started_at = now - timedelta(seconds=20)
    workflow.started_by = "w1"
    assert rules.may_be_running(workflow, {"w1"}, now, limit_seconds=60)
    assert not rules.may_be_running(workflow, {"w2"}, now, limit_seconds=60)
    assert not rules.may_be_running(workflow, {"w1"}, now, limit_seconds=10)
    workflow.scheduled_at = now  # sent again after that attempt started
    assert not rules.may_be_running(workflow, {"w1"}, now, limit_seconds=60)
    assert rules.out_of_attempts(workflow, workflow.attempts)
    assert not rules.out_of_attempts(workflow, workflow.attempts + 1)
