"""The pipeline end to end with real ``essaygrader worker`` processes.

Each broker (the embedded SQLite one, Redis, RabbitMQ) on each database (SQLite,
PostgreSQL); then SIGKILL of a worker in the middle of a grading and a training task.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from essaygrader.db.models import AssessmentRecord, SubmissionRecord
from tests.factories import RUBRIC, essay, examples
from tests.integration.conftest import wait_until

pytestmark = pytest.mark.integration

BROKERS = ["sqlite", "redis", "rabbitmq"]


def _submit(api, first: int, count: int, item_id: str = "item-1") -> list[dict]:
    return api.submit_many(
        "course-a",
        item_id,
        [
            {"student_id": f"s{i}", "answer": essay(15 + (i % 7) * 15, i)}
            for i in range(first, first + count)
        ],
    )


def _all_complete(api, submitted: list[dict]) -> bool:
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    statuses = api.get_workflow_statuses(uuids)
    return len(statuses) == len(uuids) and set(statuses.values()) == {"complete"}


def _assessments_per_submission(runtime) -> dict[str, int]:
    with runtime.database.transaction(read_only=True) as session:
        counts = dict(
            session.execute(
                select(AssessmentRecord.submission_uuid, func.count()).group_by(
                    AssessmentRecord.submission_uuid
                )
            ).all()
        )
        every = session.scalars(select(SubmissionRecord.uuid)).all()
    return {uuid: counts.get(uuid, 0) for uuid in every}


@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
def test_hundred_essays_before_and_after_training(client_runtime, start_worker):
    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC)
    worker = start_worker()
    before = _submit(api, 0, 50)
    assert {s["status"] for s in before} == {"waiting"}
    started = api.train_classifiers("course-a", "item-1", examples(30))
    wait_until(
        lambda: api.is_training_workflow_complete(started["training_workflow_uuid"]),
        timeout=60,
        what="training",
        logs=worker.log,
    )
    after = _submit(api, 50, 50)
    assert {s["status"] for s in after} == {"scheduled"}
    wait_until(
        lambda: _all_complete(api, before + after),
        timeout=120,
        what="100 essays graded",
        logs=worker.log,
    )
    for submitted in before + after:
        parts = api.get_latest_assessment(submitted["submission_uuid"])["parts"]
        assert [p["criterion"] for p in parts] == ["ideas", "conventions"]
    assert set(_assessments_per_submission(client_runtime).values()) == {1}
    report = api.status("course-a", "item-1")
    assert report["workflows"]["grade"]["complete"] == 100
    assert len(report["workers"]) == 1
    assert report["queues"] == {"training": 0, "grading": 0}


KILL_CASES = [
    ("sqlite", "sqlite"),
    ("redis", "sqlite"),
    ("rabbitmq", "sqlite"),
    ("sqlite", "postgresql"),
]


@pytest.mark.parametrize(("broker_url", "database_url"), KILL_CASES, indirect=True)
def test_worker_killed_mid_grading_then_a_new_worker_finishes(client_runtime, start_worker):
    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC, algorithm_id="slow-scoring")
    api.train_classifiers("course-a", "item-1", examples(30))
    first = start_worker()
    submitted = _submit(api, 0, 8)

    def grading_in_flight() -> bool:
        return any(
            api.get_grading_workflow(s["grading_workflow_uuid"])["attempts"] >= 1 for s in submitted
        )

    wait_until(grading_in_flight, timeout=60, what="a grading task to start", logs=first.log)
    first.kill()
    unfinished = [
        s
        for s in submitted
        if api.get_grading_workflow(s["grading_workflow_uuid"])["status"] != "complete"
    ]
    assert unfinished, "the kill came too late to interrupt grading"
    second = start_worker()
    wait_until(
        lambda: _all_complete(api, submitted),
        timeout=120,
        what="every essay graded after the kill",
        logs=second.log,
    )
    assert set(_assessments_per_submission(client_runtime).values()) == {1}
    for s in submitted:
        assert api.get_latest_assessment(s["submission_uuid"]) is not None


@pytest.mark.parametrize(("broker_url", "database_url"), KILL_CASES, indirect=True)
def test_worker_killed_mid_training_then_a_new_worker_finishes(client_runtime, start_worker):
    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC, algorithm_id="slow-training")
    submitted = _submit(api, 0, 5)
    started = api.train_classifiers("course-a", "item-1", examples(30))
    uuid = started["training_workflow_uuid"]
    first = start_worker()
    wait_until(
        lambda: api.get_training_workflow(uuid)["attempts"] >= 1,
        timeout=60,
        what="the training task to start",
        logs=first.log,
    )
    first.kill()
    assert api.get_training_workflow(uuid)["status"] == "scheduled"
    second = start_worker()
    wait_until(
        lambda: api.is_training_workflow_complete(uuid),
        timeout=120,
        what="training after the kill",
        logs=second.log,
    )
    wait_until(
        lambda: _all_complete(api, submitted),
        timeout=60,
        what="the waiting essays graded",
        logs=second.log,
    )
    assert set(_assessments_per_submission(client_runtime).values()) == {1}
    assert api.get_training_workflow(uuid)["attempts"] >= 2


def test_the_embedded_broker_forgets_delivered_messages(client_runtime, start_worker):
    import sqlite3
    from contextlib import closing

    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC)
    api.train_classifiers("course-a", "item-1", examples(30))
    submitted = _submit(api, 0, 10)
    worker = start_worker()
    wait_until(lambda: _all_complete(api, submitted), timeout=60, what="grading", logs=worker.log)
    broker = client_runtime.settings.resolved_broker_url.split(":///", 1)[1]

    def delivered() -> int:
        with closing(sqlite3.connect(broker)) as connection:
            return connection.execute(
                "SELECT count(*) FROM kombu_message WHERE visible = 0"
            ).fetchone()[0]

    assert client_runtime.worker.sweep()["grading"] == 0
    assert delivered() == 0
    assert client_runtime.client.status()["queues"] == {"training": 0, "grading": 0}


@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
def test_messages_queued_before_an_upgrade_still_grade(client_runtime, start_worker):
    """Messages of the single-essay grading task (one id each) are graded, beside batches."""
    from essaygrader.queues.celery_app import SINGLE_GRADING_TASK

    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC)
    api.train_classifiers("course-a", "item-1", examples(30))
    worker = start_worker()
    wait_until(
        lambda: api.get_classifier_set_info("course-a", "item-1") is not None,
        timeout=60,
        what="training",
        logs=worker.log,
    )
    queue = client_runtime.task_queue
    send, queue.send = queue.send, lambda task_type, batches: 0  # as if sent by the old version
    old = _submit(api, 0, 3)
    queue.send = send
    for submitted in old:
        queue.app.send_task(
            SINGLE_GRADING_TASK, args=[submitted["grading_workflow_uuid"]], queue="grading"
        )
    wait_until(
        lambda: _all_complete(api, old), timeout=60, what="old messages graded", logs=worker.log
    )
    assert set(_assessments_per_submission(client_runtime).values()) == {1}
    wait_until(
        lambda: worker.log().count(f"{SINGLE_GRADING_TASK}[") >= 3,
        timeout=10,
        what="the worker's log of the old tasks",
        logs=worker.log,
    )
    assert "NotRegistered" not in worker.log()
