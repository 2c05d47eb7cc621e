"""The whole flow on each supported stack, with real ``essaygrader worker`` processes.

Train, grade 200 essays (half submitted before the item had classifiers), then lose a
batch of tasks with the broker's queues purged and get them back with ``reschedule``:

* SQLite database, SQLite broker, local folder (the embedded default);
* PostgreSQL, Redis, S3 (moto's S3 server on loopback);
* PostgreSQL, RabbitMQ, S3.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from essaygrader.db.models import ClassifierRecord
from tests.factories import RUBRIC, examples
from tests.integration.conftest import wait_until
from tests.integration.flow import all_complete, assessments_per_submission, submit

pytestmark = pytest.mark.integration

STACKS = [
    pytest.param("sqlite", "sqlite", "local", id="sqlite-sqlitebroker-folder"),
    pytest.param("postgresql", "redis", "s3", id="postgresql-redis-s3", marks=[pytest.mark.redis]),
    pytest.param(
        "postgresql", "rabbitmq", "s3", id="postgresql-rabbitmq-s3", marks=[pytest.mark.rabbitmq]
    ),
]
CONCURRENCY = 2


@pytest.mark.parametrize(("database_url", "broker_url", "storage_env"), STACKS, indirect=True)
def test_train_grade_200_and_reschedule(client_runtime, start_worker, worker_env, request):
    # Only ``reschedule`` may recover the purged tasks below, not the sweeper.
    worker_env["ESSAYGRADER_SWEEP_AGE_SECONDS"] = "3600"
    api = client_runtime.client
    api.create_item("course-a", "item-1", RUBRIC)
    worker = start_worker(concurrency=CONCURRENCY)

    before = submit(api, 0, 100)
    assert {s["status"] for s in before} == {"waiting"}
    started = api.train_classifiers("course-a", "item-1", examples(30))
    wait_until(
        lambda: api.is_training_workflow_complete(started["training_workflow_uuid"]),
        timeout=90,
        what="training",
        logs=worker.log,
    )
    after = submit(api, 100, 100)
    assert {s["status"] for s in after} == {"scheduled"}
    wait_until(
        lambda: all_complete(api, before + after),
        timeout=180,
        what="200 essays graded",
        logs=worker.log,
    )
    for submitted in before + after:
        parts = api.get_latest_assessment(submitted["submission_uuid"])["parts"]
        assert [p["criterion"] for p in parts] == ["ideas", "conventions"]
    assert set(assessments_per_submission(client_runtime).values()) == {1}
    _classifiers_are_where_the_settings_say(client_runtime, request)
    if client_runtime.database.dialect == "postgresql":
        _worker_connections_stay_within_their_pools(client_runtime)

    # Tasks lost by the broker while no worker runs come back with ``reschedule``.
    worker.stop()
    lost = submit(api, 200, 20)
    # The outbox's relay sends them in the background: purge once they are on the broker.
    wait_until(lambda: client_runtime.outbox.pending() == 0, timeout=30, what="the relay")
    client_runtime.task_queue.app.control.purge()
    assert client_runtime.client.status()["queues"]["grading"] == 0
    worker = start_worker(concurrency=CONCURRENCY)
    time.sleep(3)
    assert api.status("course-a", "item-1")["workflows"]["grade"]["complete"] == 200
    counts = api.reschedule_unfinished_tasks("course-a", "item-1", "all")
    assert counts["grading_scheduled"] == 20
    assert counts["training_scheduled"] == 0
    wait_until(
        lambda: all_complete(api, lost), timeout=90, what="rescheduled essays", logs=worker.log
    )
    per_submission = assessments_per_submission(client_runtime)
    assert len(per_submission) == 220
    assert set(per_submission.values()) == {1}


def _classifiers_are_where_the_settings_say(runtime, request) -> None:
    with runtime.database.transaction(read_only=True) as session:
        keys = set(session.scalars(select(ClassifierRecord.sha256)))
    assert len(keys) == 2
    local = {p.name for p in (runtime.settings.data_dir / "classifiers").glob("??/??/*")}
    if "s3_bucket" not in request.fixturenames:
        assert local == keys
        return
    bucket = request.getfixturevalue("s3_bucket")
    listed = bucket.client().list_objects_v2(Bucket=bucket.name, Prefix=bucket.prefix + "/")
    assert {o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]} == keys
    assert local == set()


def _worker_connections_stay_within_their_pools(runtime) -> None:
    """Each worker process (the main one and each pool process) keeps its own small pool."""
    with runtime.database.transaction(read_only=True) as session:
        connections = session.scalar(
            select(func.count())
            .select_from(text("pg_stat_activity"))
            .where(
                text("datname = current_database()"),
                text("application_name = 'essaygrader-worker'"),
            )
        )
    processes = CONCURRENCY + 1
    assert 1 <= connections <= processes * runtime.settings.worker_database_pool_size
