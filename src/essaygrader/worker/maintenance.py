"""The worker API's housekeeping: failures kept on workflows, the sweeper, heartbeats."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.api.queue import TaskQueue, enqueue_after_commit
from essaygrader.api.records import (
    current_classifier_set,
    internal_errors,
)
from essaygrader.config import Settings
from essaygrader.db.models import (
    GradingWorkflowRecord,
    TrainingWorkflowRecord,
    WorkerHeartbeatRecord,
    utcnow,
)
from essaygrader.db.session import Database
from essaygrader.db.workflows import (
    WorkflowModel,
    WorkflowRecord,
    failed_values,
    give_up,
    may_be_running,
    open_,
    out_of_attempts,
    scheduled_before,
    started_by_dead_worker,
    waiting,
)
from essaygrader.domain.workflow import TaskType
from essaygrader.storage.base import BlobStore
from essaygrader.worker.classifier_cache import ClassifierCache

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 4000
_COUNTED = {TaskType.TRAIN: "training", TaskType.GRADE: "grading"}


class WorkerMaintenanceAPI:
    """Collaborators of the worker API, and the calls that keep workflows moving."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        blobs: BlobStore,
        algorithms: AlgorithmRegistry,
        task_queue: TaskQueue,
        classifier_cache: ClassifierCache,
    ) -> None:
        self.settings = settings
        self.database = database
        self.blobs = blobs
        self.algorithms = algorithms
        self.task_queue = task_queue
        self.classifier_cache = classifier_cache

    def record_failure(
        self, task_type: TaskType, workflow_uuids: Sequence[str], error: str, *, final: bool
    ) -> None:
        """Keep a task's error on its open workflows; ``final`` marks them failed.

        Workflows of the task that are complete, or that failed on their own, keep what
        they have.
        """
        model: WorkflowModel = (
            TrainingWorkflowRecord if task_type is TaskType.TRAIN else GradingWorkflowRecord
        )
        error = error[:MAX_ERROR_CHARS]
        values = failed_values(utcnow(), error) if final else {"last_error": error}
        uuids = list(workflow_uuids)
        what = uuids[0] if len(uuids) == 1 else f"{len(uuids)} workflows"
        with (
            internal_errors("rescheduling_internal_error", f"recording failure of {what}"),
            self.database.transaction() as session,
        ):
            session.execute(
                update(model).where(model.uuid.in_(uuids), open_(model)).values(**values)
            )

    def sweep(self, *, older_than: float | None = None, limit: int = 5000) -> dict[str, int]:
        """Queue again the unfinished workflows that were scheduled long ago.

        The database, not the broker, knows what is unfinished: this recovers tasks that
        a broker lost (the SQLite broker when a worker is killed, or a broker that was
        down when the task was sent). A workflow whose latest attempt is running is left
        alone: its worker is alive (a fresh heartbeat) and the attempt is younger than the
        task type's hard time limit. On a broker that does not deliver a dead worker's
        tasks again (the SQLite broker), an attempt whose worker's heartbeat has stopped
        is queued again at once, whatever its age. Waiting grading workflows whose item
        has gained classifiers are given them. A workflow started ``max_attempts`` times
        is marked failed instead of queued again.

        Args:
            older_than: Seconds since scheduling; defaults to the ``sweep_age_seconds``
                setting.

        Returns:
            How many workflows were queued per type, given classifiers, and failed.
        """
        age = self.settings.sweep_age_seconds if older_than is None else older_than
        counts = {"training": 0, "grading": 0, "released": 0, "failed": 0}
        with (
            internal_errors("rescheduling_internal_error", "sweeping"),
            self.database.transaction() as session,
        ):
            now = utcnow()
            cutoff = now - timedelta(seconds=age)
            counts["released"] = _release_stragglers(session, cutoff, now, limit)
            # A live worker has been heard within this window; an attempt started before
            # it by a worker not heard since is dead.
            heard_since = now - timedelta(seconds=3 * self.settings.worker_heartbeat_seconds)
            alive = self._workers_heard_since(session, heard_since)
            models: dict[TaskType, WorkflowModel] = {
                TaskType.TRAIN: TrainingWorkflowRecord,
                TaskType.GRADE: GradingWorkflowRecord,
            }
            for task_type, model in models.items():
                candidates = scheduled_before(model, cutoff)
                if not self.task_queue.redelivers_lost_tasks:
                    candidates = or_(candidates, started_by_dead_worker(model, alive, heard_since))
                stale: Sequence[WorkflowRecord] = session.scalars(  # type: ignore[assignment]
                    select(model)
                    .where(candidates)
                    .order_by(model.scheduled_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=model)
                ).all()
                limit_seconds = (
                    self.settings.training_time_limit
                    if task_type is TaskType.TRAIN
                    else self.settings.grading_time_limit
                )
                # Grading tasks name workflows of one item, so each item's go together.
                by_item: dict[tuple[str, str], list[str]] = {}
                for workflow in stale:
                    if may_be_running(workflow, alive, now, limit_seconds):
                        continue
                    if out_of_attempts(workflow, self.settings.max_attempts):
                        give_up(workflow, now)
                        counts["failed"] += 1
                    else:
                        workflow.scheduled_at = now
                        by_item.setdefault((workflow.course_id, workflow.item_id), []).append(
                            workflow.uuid
                        )
                for uuids in by_item.values():
                    enqueue_after_commit(session, self.task_queue, task_type, uuids)
                counts[_COUNTED[task_type]] = sum(len(u) for u in by_item.values())
        self.task_queue.tidy()
        if any(counts.values()):
            log.info("sweep: %s", counts)
        return counts

    def _workers_heard_since(self, session: Session, since: datetime) -> set[str]:
        return set(
            session.scalars(
                select(WorkerHeartbeatRecord.name).where(WorkerHeartbeatRecord.last_seen >= since)
            )
        )

    def heartbeat(self, name: str, queues: list[str]) -> None:
        """Record that worker ``name`` is alive and which queues it consumes."""
        with (
            internal_errors("rescheduling_internal_error", "recording a worker heartbeat"),
            self.database.transaction() as session,
        ):
            record = session.get(WorkerHeartbeatRecord, name)
            if record is None:
                session.add(WorkerHeartbeatRecord(name=name, queues=",".join(queues)))
            else:
                record.last_seen = utcnow()
                record.queues = ",".join(queues)

    def forget_worker(self, name: str) -> None:
        """Remove a stopped worker's heartbeat."""
        with (
            internal_errors("rescheduling_internal_error", "removing a worker heartbeat"),
            self.database.transaction() as session,
        ):
            record = session.get(WorkerHeartbeatRecord, name)
            if record is not None:
                session.delete(record)


def _release_stragglers(session: Session, cutoff: Any, now: Any, limit: int) -> int:
    """Give classifiers to waiting grading workflows whose item has them by now.

    Normally training completion does this; a set created by other means, or a race a
    database did not serialise, would otherwise leave a submission waiting forever.
    Released workflows are scheduled in the past, so the sweep below queues them.
    """
    stragglers = session.scalars(
        select(GradingWorkflowRecord)
        .where(waiting(GradingWorkflowRecord), GradingWorkflowRecord.created_at < cutoff)
        .limit(limit)
        .with_for_update(skip_locked=True, of=GradingWorkflowRecord)
    ).all()
    released = 0
    for workflow in stragglers:
        current = current_classifier_set(
            session, workflow.course_id, workflow.item_id, workflow.rubric.structure_hash
        )
        if current is not None:
            workflow.classifier_set_uuid = current.uuid
            workflow.scheduled_at = cutoff - timedelta(seconds=1)
            released += 1
    session.flush()
    return released
