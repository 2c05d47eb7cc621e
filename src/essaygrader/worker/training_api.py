"""The worker API's training calls: begin, store classifiers, record the classifier set."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essaygrader.algorithms.base import CriterionClassifier
from essaygrader.algorithms.flags import ItemProfile
from essaygrader.algorithms.model_format import encode_model
from essaygrader.api.queue import enqueue_after_commit
from essaygrader.api.records import (
    find_item,
    find_training_workflow,
    internal_errors,
    rubric_of,
)
from essaygrader.db.models import (
    ClassifierRecord,
    ClassifierSetRecord,
    GradingWorkflowRecord,
    TrainingExampleRecord,
    TrainingWorkflowRecord,
    utcnow,
)
from essaygrader.db.workflows import completed_values, give_up, is_open, out_of_attempts, waiting
from essaygrader.domain.item import ItemKey
from essaygrader.domain.quality import check_quality_gate
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError
from essaygrader.worker.maintenance import WorkerMaintenanceAPI
from essaygrader.worker.params import (
    CriterionToTrain,
    StoredClassifier,
    TrainingExample,
    TrainingMetrics,
    TrainingTask,
)

log = logging.getLogger(__name__)


class TrainingWorkerAPI(WorkerMaintenanceAPI):
    """What training tasks call."""

    def begin_training(
        self, workflow_uuid: str, *, worker_name: str | None = None
    ) -> TrainingTask | None:
        """Record an attempt and return what the training task has to do.

        Args:
            worker_name: The worker taking the task, as its heartbeat names it.

        Returns:
            None when the workflow is complete, failed, or out of attempts (it is then
            marked failed).

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
        """
        with (
            internal_errors("training_internal_error", f"starting training {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            workflow = find_training_workflow(session, workflow_uuid, lock=True)
            if not is_open(workflow):
                return None
            now = utcnow()
            if out_of_attempts(workflow, self.settings.max_attempts):
                give_up(workflow, now)
                log.error("training workflow %s failed: %s", workflow.uuid, workflow.last_error)
                return None
            workflow.attempts += 1
            workflow.started_at = now
            workflow.started_by = worker_name
            workflow.criteria_done = 0
            return _training_task(session, workflow)

    def store_classifier(self, classifier: CriterionClassifier) -> StoredClassifier:
        """Write a fitted classifier to the blob store; returns its reference."""
        model = classifier.to_model()
        data = encode_model(model)
        key = self.blobs.put(data)
        return StoredClassifier(
            blob_key=key, sha256=key, size_bytes=len(data), format_version=model.format_version
        )

    def record_training_progress(self, workflow_uuid: str, criteria_done: int) -> None:
        """Note how many criteria are trained, for progress displays."""
        with (
            internal_errors("training_internal_error", f"recording progress of {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            session.execute(
                update(TrainingWorkflowRecord)
                .where(TrainingWorkflowRecord.uuid == workflow_uuid)
                .values(criteria_done=criteria_done)
            )

    def create_classifiers(
        self,
        workflow_uuid: str,
        classifiers: dict[str, StoredClassifier],
        metrics: TrainingMetrics | None = None,
        *,
        profile: dict[str, Any] | None = None,
    ) -> str:
        """Record a trained classifier set, complete the workflow, and start grading.

        In the same transaction, every grading workflow of the item that waits for
        classifiers is given the new set; their tasks are sent once it commits.

        Args:
            classifiers: ``{criterion: store_classifier(...)}`` for every scored criterion.
            metrics: Cross-validated quality, kept on the set; the item's ``min_qwk``
                gate is checked against it.
            profile: The item profile for the advisory flags (``ItemProfile.to_json``),
                kept on the set; without one, grading checks only the flags that need
                none.

        Returns:
            The classifier set's uuid; on a complete workflow, the one it already has.

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
            RequestError: ``training_invalid``; a scored criterion has no classifier, a
                blob is missing, or the profile is not one.
            RequestError: ``quality_gate_failed``; a criterion's QWK is below the item's
                ``min_qwk``; nothing is recorded, and the item keeps its previous set.
        """
        with (
            internal_errors("training_internal_error", f"storing classifiers of {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            workflow = find_training_workflow(session, workflow_uuid, lock=True)
            if workflow.completed_at is not None:
                return workflow.classifier_set_uuid  # type: ignore[return-value]
            item = find_item(session, ItemKey(workflow.course_id, workflow.item_id), lock="update")
            rubric = rubric_of(workflow.rubric)
            for criterion in rubric.scored_criteria:
                stored = classifiers.get(criterion.name)
                if stored is None or not self.blobs.exists(stored.blob_key):
                    raise RequestError(
                        f"no stored classifier for criterion {criterion.name!r}",
                        field=f"classifiers.{criterion.name}",
                        code="training_invalid",
                    )
            if profile is not None:
                try:
                    ItemProfile.from_json(profile)
                except ValueError as exc:
                    raise RequestError(str(exc), field="profile", code="training_invalid") from exc
            check_quality_gate(metrics, item.min_qwk)
            if metrics is not None:
                metrics = {**metrics, "min_qwk": item.min_qwk, "passed_quality_gate": True}
            classifier_set = ClassifierSetRecord(
                course_id=workflow.course_id,
                item_id=workflow.item_id,
                rubric_id=workflow.rubric_id,
                structure_hash=rubric.structure_hash,
                algorithm_id=workflow.algorithm_id,
                training_workflow_uuid=workflow.uuid,
                metrics=metrics,
                profile=profile,
            )
            session.add(classifier_set)
            session.flush()
            session.add_all(
                ClassifierRecord(
                    classifier_set_uuid=classifier_set.uuid,
                    criterion=c.name,
                    blob_key=classifiers[c.name].blob_key,
                    sha256=classifiers[c.name].sha256,
                    size_bytes=classifiers[c.name].size_bytes,
                    format_version=classifiers[c.name].format_version,
                )
                for c in rubric.scored_criteria
            )
            now = utcnow()
            workflow.classifier_set_uuid = classifier_set.uuid
            for column, value in completed_values(now).items():
                setattr(workflow, column, value)
            workflow.criteria_done = workflow.criteria_total
            released: list[str] = []
            # Only a set for the item's current rubric may grade its waiting submissions.
            if item.rubric.structure_hash == rubric.structure_hash:
                released = _release_waiting(session, workflow, classifier_set, now)
            enqueue_after_commit(session, self.task_queue, TaskType.GRADE, released)
            set_uuid = classifier_set.uuid
        log.info(
            "training %s complete: classifier set %s, %d waiting submissions scheduled",
            workflow_uuid,
            set_uuid,
            len(released),
        )
        return set_uuid

    def is_training_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the workflow has its classifier set."""
        with (
            internal_errors("training_internal_error", f"reading training {workflow_uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return find_training_workflow(session, workflow_uuid).completed_at is not None


def _training_task(session: Session, workflow: TrainingWorkflowRecord) -> TrainingTask:
    rubric = rubric_of(workflow.rubric)
    item = find_item(session, ItemKey(workflow.course_id, workflow.item_id))
    examples = session.scalars(
        select(TrainingExampleRecord)
        .where(TrainingExampleRecord.workflow_uuid == workflow.uuid)
        .order_by(TrainingExampleRecord.position)
    ).all()
    criteria = rubric.scored_criteria
    return TrainingTask(
        workflow_uuid=workflow.uuid,
        course_id=workflow.course_id,
        item_id=workflow.item_id,
        algorithm_id=workflow.algorithm_id,
        prompt=item.prompt,
        min_qwk=item.min_qwk,
        criteria=[CriterionToTrain(c.name, tuple(c.valid_points)) for c in criteria],
        examples=[
            TrainingExample(
                text=e.text,
                scores={
                    c.name: c.option_named(e.options_selected[c.name]).points  # type: ignore[union-attr]
                    for c in criteria
                },
            )
            for e in examples
        ],
    )


def _release_waiting(
    session: Session,
    workflow: TrainingWorkflowRecord,
    classifier_set: ClassifierSetRecord,
    now: datetime,
) -> list[str]:
    of_item_waiting = (
        GradingWorkflowRecord.course_id == workflow.course_id,
        GradingWorkflowRecord.item_id == workflow.item_id,
        waiting(GradingWorkflowRecord),
    )
    uuids = list(
        session.scalars(
            select(GradingWorkflowRecord.uuid)
            .where(*of_item_waiting)
            .order_by(GradingWorkflowRecord.created_at)
        )
    )
    session.execute(
        update(GradingWorkflowRecord)
        .where(*of_item_waiting)
        .values(
            classifier_set_uuid=classifier_set.uuid,
            rubric_id=classifier_set.rubric_id,
            scheduled_at=now,
        )
    )
    return uuids
