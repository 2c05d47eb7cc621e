"""The engine settings essaygrader sets on Celery, and that they reach a real broker."""

from __future__ import annotations

import pytest

from essaygrader.config import Settings
from essaygrader.domain.workflow import TaskType
from essaygrader.queues.celery_app import (
    SINGLE_GRADING_TASK,
    TASK_NAMES,
    create_celery_app,
    transport_options,
)
from essaygrader.runtime import Runtime
from tests.conftest import REDIS_URL, require_service
from tests.factories import RUBRIC, essay, train_with_metrics


def app_for(tmp_path, **settings):
    runtime = Runtime(Settings(data_dir=tmp_path, **settings))
    return create_celery_app(runtime)


def test_a_long_task_does_not_hold_grading_tasks(tmp_path):
    app = app_for(tmp_path)
    # Acknowledged only when done: a worker that dies gives its task back, and while a
    # task runs its process takes no further message (prefetch one, fair scheduling).
    assert app.conf.task_acks_late
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    for task_type in TaskType:
        assert app.tasks[TASK_NAMES[task_type]].acks_late


def test_training_and_grading_have_their_own_queues_and_time_limits(tmp_path):
    app = app_for(tmp_path, training_soft_time_limit=100, training_time_limit=200)
    assert {q.name for q in app.conf.task_queues} == {"training", "grading"}
    assert app.conf.task_routes == {
        TASK_NAMES[TaskType.TRAIN]: {"queue": "training"},
        TASK_NAMES[TaskType.GRADE]: {"queue": "grading"},
        TASK_NAMES[TaskType.PASSBACK]: {"queue": "grading"},
        TASK_NAMES[TaskType.WEBHOOK]: {"queue": "grading"},
        SINGLE_GRADING_TASK: {"queue": "grading"},
    }
    train = app.tasks[TASK_NAMES[TaskType.TRAIN]]
    assert (train.soft_time_limit, train.time_limit) == (100, 200)
    for name in (TASK_NAMES[TaskType.GRADE], SINGLE_GRADING_TASK):
        grade = app.tasks[name]
        assert (grade.soft_time_limit, grade.time_limit) == (120, 180)
        assert grade.acks_late


@pytest.mark.parametrize(
    "limits",
    [
        {},
        {"training_soft_time_limit": 7000, "training_time_limit": 7200},
        {"retry_backoff_max_seconds": 1800.0},
        {"grading_soft_time_limit": 9000, "grading_time_limit": 9500},
    ],
)
def test_redis_visibility_timeout_outlasts_the_longest_task(limits):
    settings = Settings(broker_url="redis://127.0.0.1:6379/0", **limits)
    timeout = transport_options(settings)["visibility_timeout"]
    longest_limit = max(settings.training_time_limit, settings.grading_time_limit)
    # A retried task waits out its backoff while reserved by a worker: that counts too.
    assert timeout > longest_limit + settings.retry_backoff_max_seconds


@pytest.mark.integration
@pytest.mark.redis
def test_the_redis_channel_uses_that_visibility_timeout(tmp_path):
    require_service("redis")
    settings = Settings(data_dir=tmp_path, broker_url=REDIS_URL, training_time_limit=5000)
    app = create_celery_app(Runtime(settings))
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        assert channel.visibility_timeout == transport_options(settings)["visibility_timeout"]
        assert channel.visibility_timeout > 5000


def _broker_runtime(tmp_path, **settings):
    runtime = Runtime(Settings(data_dir=tmp_path, default_algorithm="fake", **settings))
    runtime.client.create_item("c", "i", RUBRIC)
    train_with_metrics(runtime, "c", "i", None)
    return runtime


def test_a_bulk_submit_sends_one_message_per_batch(tmp_path):
    runtime = _broker_runtime(tmp_path, grading_batch_size=4)
    try:
        runtime.client.submit_many(
            "c", "i", [{"student_id": f"s{n}", "answer": essay(30, n)} for n in range(10)]
        )
        runtime.outbox.close()  # the relay sends from its thread: let it finish
        assert runtime.task_queue.queue_lengths()["grading"] == 3
        runtime.client.submit("c", "i", "s10", essay(30))
        runtime.outbox.close()
        assert runtime.task_queue.queue_lengths()["grading"] == 4
    finally:
        runtime.close()


def test_the_single_id_task_of_earlier_versions_still_grades(tmp_path):
    runtime = _broker_runtime(tmp_path)
    try:
        app = runtime.task_queue.app
        old, new, other = (
            runtime.client.submit("c", "i", f"s{n}", essay(30, n))["grading_workflow_uuid"]
            for n in range(3)
        )
        # What a message queued before an upgrade carries: one id, the old task name.
        app.tasks[SINGLE_GRADING_TASK].apply(args=[old]).get()
        app.tasks[TASK_NAMES[TaskType.GRADE]].apply(args=[[new, other]]).get()
        statuses = runtime.client.get_workflow_statuses([old, new, other])
        assert set(statuses.values()) == {"complete"}
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("broker_url", "redelivers"),
    [
        ("", False),  # the embedded SQLite broker
        ("redis://127.0.0.1:6379/0", True),
        ("amqp://guest:guest@127.0.0.1:5672//", True),
    ],
)
def test_only_the_sqlite_broker_leaves_a_dead_workers_tasks_to_the_sweeper(
    tmp_path, broker_url, redelivers
):
    runtime = Runtime(Settings(data_dir=tmp_path, broker_url=broker_url))
    try:
        assert runtime.task_queue.redelivers_lost_tasks is redelivers
    finally:
        runtime.close()
