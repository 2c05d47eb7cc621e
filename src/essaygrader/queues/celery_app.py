"""Celery: one task definition for every broker (SQLite, Redis, RabbitMQ).

Tasks take workflow ids and nothing else: a training task one, a grading task a batch of
one item's (``essaygrader.grade_essays``); what they do lives in the worker API and the
procedures of the ``worker`` package. ``essaygrader.grade_essay``, the single-id grading
task of earlier versions, is still accepted, so messages queued before an upgrade run.

Settings that matter for reliability are set here: late acknowledgement (a task whose
worker dies is delivered again where the broker can), one prefetched message per process
(a long training task does not sit on grading tasks), separate queues, and a Redis
visibility timeout longer than any task can take.

RabbitMQ has the same kind of limit on its side, ``consumer_timeout`` (30 minutes by
default): a message unacknowledged for longer closes the worker's channel. It is a
server setting, so the deployment guide has it, and workers log the value they need.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

from essaygrader.api.queue import QUEUE_FOR_TASK, TaskQueue
from essaygrader.config import DEFAULT_GRADING_BATCH_SIZE, Settings, mask_url
from essaygrader.domain.workflow import TaskType
from essaygrader.queues import sqlite_broker
from essaygrader.queues.services import WorkerServices
from essaygrader.worker.execution import run_task

log = logging.getLogger(__name__)

TASK_NAMES = {
    TaskType.TRAIN: "essaygrader.train_classifiers",
    TaskType.GRADE: "essaygrader.grade_essays",
    TaskType.PASSBACK: "essaygrader.send_scores",
    TaskType.WEBHOOK: "essaygrader.deliver_webhooks",
}
# Sent by versions that graded one essay per task; accepted so that their queued
# messages still run after an upgrade.
SINGLE_GRADING_TASK = "essaygrader.grade_essay"


def broker_kind(url: str) -> str:
    """``sqlite``, ``redis``, ``amqp`` or the URL's scheme."""
    scheme = url.split("://", 1)[0]
    if sqlite_broker.is_sqlite_broker(url):
        return "sqlite"
    if scheme in ("redis", "rediss"):
        return "redis"
    if scheme in ("amqp", "amqps", "pyamqp"):
        return "amqp"
    return scheme


def transport_options(settings: Settings) -> dict[str, Any]:
    """Broker transport options essaygrader depends on."""
    kind = broker_kind(settings.resolved_broker_url)
    if kind == "sqlite":
        return {"polling_interval": settings.broker_polling_interval}
    if kind == "redis":
        # An unacknowledged task comes back after this long; it must outlast the longest
        # task, retries' countdowns included, or it would run twice while still running.
        return {"visibility_timeout": int(2 * settings.longest_task_seconds)}
    return {}


def create_celery_app(services: WorkerServices) -> Celery:
    """The Celery app of a process, with both tasks bound to ``services``."""
    settings = services.settings
    url = settings.resolved_broker_url
    kind = broker_kind(url)
    extra: dict[str, Any] = {}
    if kind == "sqlite":
        sqlite_broker.prepare(url)
        url = sqlite_broker.engine_url(url)
        extra["broker_transport"] = sqlite_broker.TRANSPORT
    app = Celery("essaygrader", broker=url, set_as_current=False)
    app.conf.update(
        **extra,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name)
            for name in dict.fromkeys(QUEUE_FOR_TASK.values())
        ],
        task_default_queue=QUEUE_FOR_TASK[TaskType.GRADE],
        task_routes={
            **{TASK_NAMES[t]: {"queue": q} for t, q in QUEUE_FOR_TASK.items()},
            SINGLE_GRADING_TASK: {"queue": QUEUE_FOR_TASK[TaskType.GRADE]},
        },
        broker_transport_options=transport_options(settings),
        broker_connection_retry_on_startup=True,
        # Publishing gives up quickly when the broker is down: the workflow is already
        # committed, and the sweeper sends it once the broker is back.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0.2,
            "interval_step": 0.5,
            "interval_max": 1.0,
        },
        broker_connection_timeout=5,
        worker_enable_remote_control=kind != "sqlite",
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    for task_type in TaskType:
        _register(app, services, task_type, TASK_NAMES[task_type], batch=True)
    _register(app, services, TaskType.GRADE, SINGLE_GRADING_TASK, batch=False)
    return app


def _register(
    app: Celery, services: WorkerServices, task_type: TaskType, name: str, *, batch: bool
) -> None:
    settings = services.settings
    prefix = "training" if task_type is TaskType.TRAIN else "grading"

    @app.task(
        name=name,
        # Bound to this app's services: never lent to other Celery apps of the process.
        shared=False,
        bind=True,
        acks_late=True,
        max_retries=None,
        soft_time_limit=getattr(settings, f"{prefix}_soft_time_limit"),
        time_limit=getattr(settings, f"{prefix}_time_limit"),
    )
    def task(self: Any, workflow_uuids: str | list[str]) -> None:
        # A training task's argument is one id; a grading task's a list, except in
        # messages of the single-id grading task.
        if isinstance(workflow_uuids, str):
            uuids = [workflow_uuids]
        else:
            uuids = [str(uuid) for uuid in workflow_uuids]
        outcome = run_task(
            services.worker,
            task_type,
            uuids,
            self.request.retries,
            worker_name=self.request.hostname,
        )
        if outcome.kind == "retry":
            raise self.retry(countdown=outcome.delay, max_retries=None)


class CeleryTaskQueue(TaskQueue):
    """Sends tasks through a Celery app's broker, from the outbox relay's thread."""

    sends_in_background = True

    def __init__(self, app: Celery, *, grading_batch_size: int = DEFAULT_GRADING_BATCH_SIZE):
        super().__init__(grading_batch_size=grading_batch_size)
        self.app = app

    def send(self, task_type: TaskType, batches: Sequence[Sequence[str]]) -> int:
        sent = 0
        try:
            with self.app.producer_or_acquire() as producer:
                for batch in batches:
                    # Training tasks take one id, as they always have; grading a list.
                    argument: str | list[str] = (
                        batch[0] if task_type is TaskType.TRAIN else list(batch)
                    )
                    self.app.send_task(
                        TASK_NAMES[task_type],
                        args=[argument],
                        queue=QUEUE_FOR_TASK[task_type],
                        producer=producer,
                    )
                    sent += 1
        except Exception as exc:
            # Any broker failure: the workflows are committed; the outbox keeps the tasks
            # and tries again, and the sweeper is the last net.
            log.warning(
                "could not queue %d %s task(s) on %s (%s: %s); they will be sent again",
                len(batches) - sent,
                task_type.value,
                self.describe(),
                type(exc).__name__,
                exc,
            )
        return sent

    @property
    def _on_sqlite_broker(self) -> bool:
        return bool(self.app.conf.broker_transport == sqlite_broker.TRANSPORT)

    @property
    def redelivers_lost_tasks(self) -> bool:  # type: ignore[override]
        # The SQLite broker hides a delivered message for good; the others give back a
        # dead consumer's unacknowledged messages (late acknowledgement).
        return not self._on_sqlite_broker

    def tidy(self) -> int:
        url = self.app.conf.broker_url
        if self._on_sqlite_broker:
            return sqlite_broker.delete_delivered(f"sqla+{url}")
        return 0

    def queue_lengths(self) -> dict[str, int | None]:
        """Messages waiting per queue; every length is None when the broker does not
        answer, and one queue's is None when only asking about it failed. A queue the
        broker reports as not declared yet holds nothing: 0."""
        unknown: dict[str, int | None] = dict.fromkeys(QUEUE_FOR_TASK.values())
        names = list(unknown)
        try:
            with self.app.connection_for_read() as connection:
                # Once, without kombu's retries: a status page or a readiness probe
                # should learn within the connection timeout that the broker is away.
                connection.ensure_connection(max_retries=0)
                lengths = dict(unknown)
                for name in names:
                    lengths[name] = self._queue_length(connection, name)
                return lengths
        except Exception as exc:
            log.warning("cannot read queue lengths from %s: %s", self.describe(), exc)
            return unknown

    def _queue_length(self, connection: Any, name: str) -> int | None:
        try:
            with connection.channel() as channel:
                return int(channel.queue_declare(queue=name, passive=True).message_count)
        except connection.connection_errors as exc:
            log.warning("cannot read the length of queue %s: %s", name, exc)
            return None
        except connection.channel_errors as exc:
            # RabbitMQ refuses a passive declare of a queue nobody created yet, and Redis
            # and the SQLite broker of one that holds no message: nothing waits there.
            if _is_not_found(exc):
                return 0
            log.warning("cannot read the length of queue %s: %s", name, exc)
            return None
        except Exception as exc:
            log.warning("cannot read the length of queue %s: %s", name, exc)
            return None

    def describe(self) -> str:
        return f"broker {mask_url(self.app.conf.broker_url)}"


def _is_not_found(exc: BaseException) -> bool:
    """Whether a channel error says the queue does not exist (AMQP reply code 404)."""
    return getattr(exc, "reply_code", None) == 404 or "NOT_FOUND" in str(exc)
