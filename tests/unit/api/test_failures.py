"""Failures: retries with backoff, non-recoverable errors kept on the workflow, recovery."""

from __future__ import annotations

import pytest

from essaygrader.algorithms.registry import AlgorithmSpec
from essaygrader.errors import InternalError
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.storage import LocalBlobStore
from essaygrader.worker.execution import retry_delay
from tests.factories import RUBRIC, essay, examples

FAKE = "essaygrader.algorithms.fake:FakeClassifier"


class FlakyBlobStore(LocalBlobStore):
    """Fails the first ``failures`` reads with a retryable storage error."""

    def __init__(self, root, failures):
        super().__init__(root)
        self.failures = failures
        self.reads = 0

    def get(self, key):
        self.reads += 1
        if self.reads <= self.failures:
            raise InternalError("storage briefly unreachable", code="storage_error")
        return super().get(key)


@pytest.fixture
def make_runtime():
    made = []

    def make(settings, **kwargs):
        made.append(Runtime(settings, task_queue=InProcessTaskQueue(), **kwargs))
        return made[-1]

    yield make
    for runtime in made:
        runtime.close()


def _grade_one(runtime):
    api = runtime.client
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()
    submitted = api.submit("c", "i", "s1", essay(40))
    runtime.task_queue.join()
    return api.get_grading_workflow(submitted["grading_workflow_uuid"])


def test_recoverable_errors_are_retried_then_succeed(make_runtime, settings, tmp_path):
    store = FlakyBlobStore(tmp_path / "blobs", failures=2)
    runtime = make_runtime(settings, blobs=store)
    workflow = _grade_one(runtime)
    assert workflow["status"] == "complete"
    assert workflow["attempts"] == 3
    assert workflow["last_error"] is None
    outcomes = [o.kind for t, _, o in runtime.task_queue.outcomes if t.value == "grade"]
    assert outcomes == ["retry", "retry", "done"]


def test_retries_run_out_then_the_error_is_kept(make_runtime, settings, tmp_path):
    store = FlakyBlobStore(tmp_path / "blobs", failures=100)
    runtime = make_runtime(settings.with_overrides(task_max_retries=3), blobs=store)
    workflow = _grade_one(runtime)
    assert workflow["status"] == "failed"
    assert workflow["attempts"] == 4
    assert "storage_error: storage briefly unreachable" in workflow["last_error"]
    # Fixed, then rescheduled by a person: it completes.
    store.failures = 0
    counts = runtime.client.reschedule_unfinished_tasks("c", "i", "grade")
    assert counts["grading_scheduled"] == 1
    runtime.task_queue.join()
    assert runtime.client.get_grading_workflow(workflow["uuid"])["status"] == "complete"


def test_algorithm_errors_fail_at_once_without_retries(make_runtime, settings):
    broken = {"broken": AlgorithmSpec(FAKE, {"fail": "train"})}
    runtime = make_runtime(settings.with_overrides(algorithms=broken))
    api = runtime.client
    api.create_item("c", "i", RUBRIC, algorithm_id="broken")
    uuid = api.train_classifiers("c", "i", examples(30))["training_workflow_uuid"]
    runtime.task_queue.join()
    workflow = api.get_training_workflow(uuid)
    assert workflow["status"] == "failed"
    assert workflow["attempts"] == 1
    assert "fake algorithm set to fail training" in workflow["last_error"]


def test_scoring_errors_fail_the_grading_workflow(make_runtime, settings):
    trainer = make_runtime(settings)
    trainer.client.create_item("c", "i", RUBRIC)
    trainer.client.train_classifiers("c", "i", examples(30))
    trainer.task_queue.join()
    # The workers that grade have a "fake" that cannot score (a broken upgrade, say).
    broken = {"fake": AlgorithmSpec(FAKE, {"fail": "score"})}
    grader = make_runtime(settings.with_overrides(algorithms=broken))
    submitted = grader.client.submit("c", "i", "s1", essay(40))
    grader.task_queue.join()
    workflow = grader.client.get_grading_workflow(submitted["grading_workflow_uuid"])
    assert workflow["status"] == "failed"
    assert "algorithm_scoring_error" in workflow["last_error"]


def test_a_classifier_that_cannot_score_fails_training_validation(make_runtime, settings):
    broken = {"broken": AlgorithmSpec(FAKE, {"fail": "score"})}
    runtime = make_runtime(settings.with_overrides(algorithms=broken, default_algorithm="broken"))
    runtime.client.create_item("c", "i", RUBRIC)
    uuid = runtime.client.train_classifiers("c", "i", examples(30))["training_workflow_uuid"]
    runtime.task_queue.join()
    workflow = runtime.client.get_training_workflow(uuid)
    assert workflow["status"] == "failed"
    assert "algorithm_scoring_error" in workflow["last_error"]
    assert runtime.client.get_classifier_set_info("c", "i") is None


def test_tampered_classifier_blob_is_refused_by_name(make_runtime, settings, tmp_path):
    runtime = make_runtime(settings)
    api = runtime.client
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()
    info = api.get_classifier_set_info("c", "i")
    key = info["classifiers"][0]["sha256"]
    path = runtime.blobs.path(key)
    path.write_bytes(path.read_bytes().replace(b"centres", b"centreZ"))
    submitted = api.submit("c", "i", "s1", essay(40))
    runtime.task_queue.join()
    workflow = api.get_grading_workflow(submitted["grading_workflow_uuid"])
    assert workflow["status"] == "failed"
    assert f"classifier blob {key}" in workflow["last_error"]
    assert "blob_integrity_error" in workflow["last_error"]
    assert api.get_latest_assessment(submitted["submission_uuid"]) is None


def test_broker_down_at_submit_is_recovered_by_the_sweeper(make_runtime, settings):
    runtime = make_runtime(settings)
    api, queue = runtime.client, runtime.task_queue
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    queue.join()
    queue.accepting = False
    submitted = api.submit("c", "i", "s1", essay(40))
    assert submitted["status"] == "scheduled"
    assert not queue.pending
    queue.accepting = True
    assert runtime.worker.sweep()["grading"] == 0  # too recent to be presumed lost
    assert runtime.worker.sweep(older_than=0)["grading"] == 1
    queue.join()
    assert api.is_grading_workflow_complete(submitted["grading_workflow_uuid"])
    assert runtime.worker.sweep(older_than=0) == {
        "training": 0,
        "grading": 0,
        "released": 0,
        "failed": 0,
    }


def test_sweeper_fails_workflows_that_keep_dying(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(max_attempts=2))
    api, queue = runtime.client, runtime.task_queue
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    queue.join()
    submitted = api.submit("c", "i", "s1", essay(40))
    queue.pending.clear()
    uuid = submitted["grading_workflow_uuid"]
    # Two workers took it and died before finishing.
    runtime.worker.begin_grading([uuid])
    runtime.worker.begin_grading([uuid])
    assert runtime.worker.sweep(older_than=0)["failed"] == 1
    workflow = api.get_grading_workflow(uuid)
    assert workflow["status"] == "failed"
    assert "gave up after 2 attempts" in workflow["last_error"]


def test_waiting_workflows_released_by_the_sweeper(make_runtime, settings):
    runtime = make_runtime(settings)
    api, queue = runtime.client, runtime.task_queue
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    queue.join()
    submitted = api.submit("c", "i", "s1", essay(40))
    queue.pending.clear()
    # Simulate a submission that raced with training and was left without classifiers.
    with runtime.database.transaction() as session:
        from essaygrader.db.models import GradingWorkflowRecord

        session.get(
            GradingWorkflowRecord, submitted["grading_workflow_uuid"]
        ).classifier_set_uuid = None
    counts = runtime.worker.sweep(older_than=0)
    assert counts["released"] == 1
    assert counts["grading"] == 1
    queue.join()
    assert api.is_grading_workflow_complete(submitted["grading_workflow_uuid"])


@pytest.mark.parametrize("retries_done", [0, 1, 2, 3, 10])
def test_backoff_grows_exponentially_with_jitter(settings, retries_done):
    ceiling = min(
        settings.retry_backoff_max_seconds, settings.retry_backoff_seconds * 2**retries_done
    )
    delays = {retry_delay(settings, retries_done) for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1


def test_sweeper_leaves_running_work_alone_while_its_worker_lives(make_runtime, settings):
    from datetime import timedelta

    from essaygrader.db.models import TrainingWorkflowRecord

    runtime = make_runtime(settings)
    api, queue, worker = runtime.client, runtime.task_queue, runtime.worker
    api.create_item("c", "i", RUBRIC)
    uuid = api.train_classifiers("c", "i", examples(30))["training_workflow_uuid"]
    queue.pending.clear()
    worker.heartbeat("worker-1", ["training"])
    assert worker.begin_training(uuid, worker_name="worker-1") is not None
    # Long past the sweep age, but its worker is alive and within the time limit.
    assert worker.sweep(older_than=0)["training"] == 0
    # Alive, but the attempt is older than the hard time limit: it cannot be running.
    with runtime.database.transaction() as session:
        record = session.get(TrainingWorkflowRecord, uuid)
        record.started_at -= timedelta(seconds=settings.training_time_limit + 1)
        record.scheduled_at = record.started_at
    assert worker.sweep(older_than=0)["training"] == 1
    # Started again; then its worker stops sending heartbeats.
    worker.begin_training(uuid, worker_name="worker-1")
    assert worker.sweep(older_than=0)["training"] == 0
    worker.forget_worker("worker-1")
    assert worker.sweep(older_than=0)["training"] == 1
    queue.join()
    assert api.is_training_workflow_complete(uuid)


def test_a_dead_workers_attempt_is_swept_at_once_where_the_broker_will_not(make_runtime, settings):
    from datetime import timedelta

    from essaygrader.db.models import GradingWorkflowRecord

    runtime = make_runtime(settings)
    api, queue, worker = runtime.client, runtime.task_queue, runtime.worker
    assert not queue.redelivers_lost_tasks  # like the SQLite broker
    api.create_item("c", "i", RUBRIC)
    api.train_classifiers("c", "i", examples(30))
    queue.join()
    uuid = api.submit("c", "i", "s1", essay(40))["grading_workflow_uuid"]
    queue.pending.clear()
    worker.heartbeat("worker-1", ["grading"])
    worker.begin_grading([uuid], worker_name="worker-1")

    def started_ago(seconds: float) -> None:
        with runtime.database.transaction() as session:
            record = session.get(GradingWorkflowRecord, uuid)
            record.started_at -= timedelta(seconds=seconds)
            record.scheduled_at = record.started_at

    heard = 3 * settings.worker_heartbeat_seconds
    assert heard < settings.sweep_age_seconds
    started_ago(heard + 1)
    assert worker.sweep()["grading"] == 0  # its worker is alive
    worker.forget_worker("worker-1")
    assert worker.sweep()["grading"] == 1  # dead: long before the sweep age
    assert worker.sweep()["grading"] == 0  # queued again: not twice
    # A new attempt by a worker not heard from yet is given the heartbeat window.
    worker.begin_grading([uuid], worker_name="worker-2")
    assert worker.sweep()["grading"] == 0
    started_ago(heard + 1)
    # A broker that delivers a dead worker's task again is left to do so.
    queue.redelivers_lost_tasks = True
    assert worker.sweep()["grading"] == 0
    queue.redelivers_lost_tasks = False
    assert worker.sweep()["grading"] == 1
    queue.join()
    assert api.is_grading_workflow_complete(uuid)
