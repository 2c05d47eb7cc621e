"""The worker process: a Celery worker plus its maintenance thread.

The maintenance thread runs in the worker's main process, after the pool has forked: it
records a heartbeat (so commands can tell whether a worker is running), runs the
sweeper every ``sweep_interval_seconds``, which re-sends unfinished workflows that the
broker may have lost, sends the outbox's tasks that no other relay is sending (a
writer that died, a broker that refused them) on every heartbeat, and hourly the
housekeeping (old idempotency keys, and essay texts
past the retention period).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from celery import bootsteps
from celery.signals import worker_process_init
from threadpoolctl import threadpool_limits

from essaygrader.errors import EssayGraderError
from essaygrader.queues.celery_app import CeleryTaskQueue, broker_kind
from essaygrader.queues.services import WorkerServices

log = logging.getLogger(__name__)

# Idempotency keys live a day and retention periods are days: hourly is soon enough.
HOUSEKEEPING_INTERVAL_SECONDS = 3600.0


class Maintenance:
    """Heartbeats and sweeps on a timer until stopped."""

    def __init__(self, services: WorkerServices, name: str, queues: list[str]) -> None:
        self.services = services
        self.name = name
        self.queues = queues
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="essaygrader-maintenance", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.services.worker.forget_worker(self.name)
        except EssayGraderError:
            log.warning("could not remove the heartbeat of worker %s", self.name)

    def _run(self) -> None:
        settings = self.services.settings
        next_sweep = 0.0
        next_housekeeping = 0.0
        elapsed = 0.0
        tick = min(settings.worker_heartbeat_seconds, settings.sweep_interval_seconds)
        while not self._stop.is_set():
            try:
                self.services.worker.heartbeat(self.name, self.queues)
                if elapsed >= next_sweep:
                    self.services.worker.sweep()
                    next_sweep = elapsed + settings.sweep_interval_seconds
                if elapsed >= next_housekeeping:
                    # Due again in an hour even if this run fails: it is never urgent.
                    next_housekeeping = elapsed + HOUSEKEEPING_INTERVAL_SECONDS
                    self.services.housekeeping.run()
                relay = self.services.task_queue.relay
                if relay is not None:
                    # Outbox tasks whose writer died, or that the broker refused.
                    relay.relay_due()
            except Exception:
                # Keep the thread alive through a database outage; log and try again.
                log.exception("worker maintenance failed; retrying in %.0fs", tick)
            self._stop.wait(tick)
            elapsed += tick


def one_thread_per_process() -> None:
    """Keep numerical libraries (OpenBLAS, OpenMP) to one thread in this process.

    A worker runs one pool process per CPU, each scoring one essay at a time: threads
    of their own only contend for the same cores, and idle OpenBLAS and OpenMP threads
    spin. On a 2-core machine that made scoring take 2 to 4 times the CPU it needs.
    Libraries loaded later (LightGBM's OpenMP, when the first classifier loads) read the
    environment; those already loaded are limited in place. An operator who sets
    ``OMP_NUM_THREADS`` or the like decides instead.
    """
    if any(name in os.environ for name in _THREAD_VARIABLES):
        return
    os.environ.update(dict.fromkeys(_THREAD_VARIABLES, "1"))
    threadpool_limits(limits=1)


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def check_blob_store(services: WorkerServices) -> None:
    """Refuse to start on a classifier store that cannot work; start if it is only down.

    Raises:
        InternalError: ``storage_access_error``; wrong credentials, a missing bucket, or no
            permission.
    """
    try:
        services.worker.blobs.check()
    except EssayGraderError as exc:
        if not exc.retryable:
            raise
        log.warning("classifier store not reachable at start-up, starting anyway: %s", exc)


def run_worker(
    services: WorkerServices, *, queues: list[str], concurrency: int, loglevel: str = "INFO"
) -> int:
    """Run a worker in this process until it is stopped; returns its exit code."""
    queue = services.task_queue
    if not isinstance(queue, CeleryTaskQueue):
        raise TypeError("a worker needs the Celery task queue")
    app = queue.app
    check_blob_store(services)
    one_thread_per_process()
    # After the thread limits, which libraries loaded now read from the environment.
    for algorithm_id, reason in services.algorithms.preload().items():
        log.warning("algorithm %r cannot be loaded; its tasks will fail: %s", algorithm_id, reason)
    name = f"essaygrader-{os.getpid()}@{socket.gethostname()}"
    maintenance = Maintenance(services, name, queues)

    class MaintenanceStep(bootsteps.StartStopStep):  # type: ignore[misc]
        requires = {"celery.worker.components:Pool"}

        def start(self, worker: Any) -> None:
            maintenance.start()

        def stop(self, worker: Any) -> None:
            maintenance.stop()

    def after_fork(**_: Any) -> None:
        services.after_fork()
        one_thread_per_process()

    worker_process_init.connect(after_fork, weak=False)
    app.steps["worker"].add(MaintenanceStep)
    kind = broker_kind(services.settings.resolved_broker_url)
    if kind == "amqp":
        log.info(
            "RabbitMQ's consumer_timeout must exceed %d ms, the longest a task may stay "
            "unacknowledged (see docs/deployment.md)",
            int(services.settings.longest_task_seconds * 1000),
        )
    embedded = kind == "sqlite"
    worker = app.Worker(
        hostname=name,
        queues=queues,
        concurrency=concurrency,
        pool="prefork",
        loglevel=loglevel,
        optimization="fair",
        # The SQLite transport has no broadcast: skip the features that need it.
        without_mingle=embedded,
        without_gossip=embedded,
        without_heartbeat=embedded,
    )
    worker.start()
    return int(worker.exitcode or 0)
