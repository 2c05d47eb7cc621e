"""The AI Grading API, worker side: the only door training and grading tasks go through.

Every call is idempotent from a client's point of view: a second ``create_assessment`` or
``create_classifiers`` on a complete workflow changes nothing and returns the first
result. Workflow rows are locked while they change (``SELECT ... FOR UPDATE`` on
PostgreSQL; ``BEGIN IMMEDIATE`` serialises writers on SQLite).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essaygrader.algorithms.base import CriterionClassifier
from essaygrader.algorithms.model_format import decode_model, encode_model
from essaygrader.api.records import (
    current_classifier_set,
    find_grading_workflow,
    find_item,
    find_training_workflow,
    internal_errors,
    rubric_of,
)
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    ClassifierRecord,
    ClassifierSetRecord,
    GradingWorkflowRecord,
    TrainingExampleRecord,
    TrainingWorkflowRecord,
    utcnow,
)
from essaygrader.domain.assessment import ASSESSMENT_TYPE_AI
from essaygrader.domain.item import ItemKey
from essaygrader.domain.quality import check_quality_gate
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import InternalError, RequestError
from essaygrader.worker.maintenance import WorkerMaintenanceAPI, gave_up

log = logging.getLogger(__name__)


class AIWorkerAPI(WorkerMaintenanceAPI):
    """What tasks call: task parameters, results, failures, sweeping and heartbeats."""

    # Grading -------------------------------------------------------------------------

    def begin_grading(
        self, workflow_uuid: str, *, worker_name: str | None = None
    ) -> dict[str, Any] | None:
        """Record an attempt and return the grading task's parameters.

        Args:
            worker_name: The worker taking the task, as its heartbeat names it.

        Returns:
            None when there is nothing to do: the workflow is complete, failed, or has
            used up its attempts (it is then marked failed). Otherwise the parameters;
            ``classifier_set_uuid`` is None while the item has no classifiers yet.

        Raises:
            NotFoundError: ``grading_workflow_not_found``; no such workflow.
        """
        with (
            internal_errors("grading_internal_error", f"starting grading {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            workflow = find_grading_workflow(session, workflow_uuid, lock=True)
            if not self._may_start(workflow):
                return None
            if workflow.classifier_set_uuid is None:
                current = current_classifier_set(
                    session, workflow.course_id, workflow.item_id, workflow.rubric.structure_hash
                )
                if current is None:
                    return {"classifier_set_uuid": None}
                workflow.classifier_set_uuid = current.uuid
            workflow.attempts += 1
            workflow.started_at = utcnow()
            workflow.started_by = worker_name
            return _grading_params(session, workflow)

    def get_grading_task_params(self, workflow_uuid: str) -> dict[str, Any]:
        """The grading task's parameters, without recording an attempt.

        Raises:
            NotFoundError: ``grading_workflow_not_found``; no such workflow.
            RequestError: ``grading_invalid``; the workflow has no classifier set yet.
        """
        with (
            internal_errors("grading_internal_error", f"reading grading {workflow_uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            workflow = find_grading_workflow(session, workflow_uuid)
            if workflow.classifier_set_uuid is None:
                raise RequestError(
                    f"grading workflow {workflow_uuid} has no classifiers yet; it waits for "
                    "training to complete",
                    field="workflow_uuid",
                    code="grading_invalid",
                )
            return _grading_params(session, workflow)

    def load_classifiers(self, params: dict[str, Any]) -> dict[str, CriterionClassifier]:
        """The classifier of each criterion named in grading parameters.

        Looked up in the process's memory cache, then read through the blob store (which,
        for a remote store, is behind the machine's disk cache).

        Raises:
            InternalError: ``blob_not_found``, ``blob_integrity_error``, ``storage_error``; the
                blob cannot be read intact.
            InternalError: ``algorithm_load_error``, ``incompatible_model``; the model cannot be
                loaded.
        """
        algorithm_id = params["algorithm_id"]
        return {
            criterion: self.classifier_cache.get_or_load(
                spec["sha256"],
                partial(self._load, algorithm_id, spec),
                stored_bytes=int(spec.get("size_bytes", 0)),
            )
            for criterion, spec in params["classifiers"].items()
        }

    def _load(self, algorithm_id: str, spec: dict[str, Any]) -> CriterionClassifier:
        data = self.blobs.get(spec["blob_key"])
        model = decode_model(data)
        if model.format_version != spec["format_version"]:
            raise InternalError(
                f"classifier blob {spec['blob_key']} holds format {model.format_version}, "
                f"but its record says {spec['format_version']}",
                code="algorithm_load_error",
            )
        return self.algorithms.load(algorithm_id, model)

    def create_assessment(
        self, workflow_uuid: str, classifier_set_uuid: str, scores: dict[str, dict[str, Any]]
    ) -> str:
        """Record an AI assessment and complete the workflow, once.

        Args:
            classifier_set_uuid: The set that produced the scores.
            scores: ``{criterion: {"points": int, "confidence": float}}`` for every scored
                criterion.

        Returns:
            The assessment's uuid; on a complete workflow, the one it already has.

        Raises:
            NotFoundError: ``grading_workflow_not_found``; no such workflow.
            RequestError: ``grading_invalid``; scores missing a criterion or with invalid points.
        """
        with (
            internal_errors("grading_internal_error", f"storing assessment of {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            workflow = find_grading_workflow(session, workflow_uuid, lock=True)
            if workflow.completed_at is not None:
                return workflow.assessment_uuid  # type: ignore[return-value]
            classifier_set = session.get(ClassifierSetRecord, classifier_set_uuid)
            if (
                classifier_set is None
                or classifier_set.item_id != workflow.item_id
                or classifier_set.course_id != workflow.course_id
            ):
                raise RequestError(
                    f"classifier set {classifier_set_uuid!r} does not belong to the item of "
                    f"grading workflow {workflow_uuid}",
                    field="classifier_set_uuid",
                    code="grading_invalid",
                )
            rubric = rubric_of(classifier_set.rubric)
            assessment = AssessmentRecord(
                submission_uuid=workflow.submission_uuid,
                grading_workflow_uuid=workflow.uuid,
                classifier_set_uuid=classifier_set.uuid,
                score_type=ASSESSMENT_TYPE_AI,
                scorer_id=classifier_set.algorithm_id,
                points_possible=rubric.points_possible,
            )
            session.add(assessment)
            session.flush()
            for criterion in rubric.scored_criteria:
                score = scores.get(criterion.name)
                field = f"scores.{criterion.name}"
                if not isinstance(score, dict) or score.get("points") not in criterion.valid_points:
                    raise RequestError(
                        f"needs points among {criterion.valid_points}, got {score!r}",
                        field=field,
                        code="grading_invalid",
                    )
                confidence = float(score.get("confidence", 0.0))
                if not 0.0 <= confidence <= 1.0:
                    raise RequestError(
                        f"confidence {confidence} is outside [0, 1]",
                        field=f"{field}.confidence",
                        code="grading_invalid",
                    )
                session.add(
                    AssessmentPartRecord(
                        assessment_uuid=assessment.uuid,
                        criterion=criterion.name,
                        option=criterion.option_for_points(score["points"]).name,
                        points=score["points"],
                        confidence=confidence,
                    )
                )
            workflow.classifier_set_uuid = classifier_set.uuid
            workflow.rubric_id = classifier_set.rubric_id
            workflow.assessment_uuid = assessment.uuid
            workflow.completed_at = utcnow()
            workflow.failed_at = None
            workflow.last_error = None
            return assessment.uuid

    def is_grading_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the workflow has its assessment."""
        with (
            internal_errors("grading_internal_error", f"reading grading {workflow_uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return find_grading_workflow(session, workflow_uuid).completed_at is not None

    # Training ------------------------------------------------------------------------

    def begin_training(
        self, workflow_uuid: str, *, worker_name: str | None = None
    ) -> dict[str, Any] | None:
        """Record an attempt and return the training task's parameters.

        Args:
            worker_name: The worker taking the task, as its heartbeat names it.

        Returns:
            None when the workflow is complete, failed, or out of attempts.

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
        """
        with (
            internal_errors("training_internal_error", f"starting training {workflow_uuid}"),
            self.database.transaction() as session,
        ):
            workflow = find_training_workflow(session, workflow_uuid, lock=True)
            if not self._may_start(workflow):
                return None
            workflow.attempts += 1
            workflow.started_at = utcnow()
            workflow.started_by = worker_name
            workflow.criteria_done = 0
            return _training_params(session, workflow)

    def get_training_task_params(self, workflow_uuid: str) -> dict[str, Any]:
        """The training task's parameters, without recording an attempt.

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
        """
        with (
            internal_errors("training_internal_error", f"reading training {workflow_uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return _training_params(session, find_training_workflow(session, workflow_uuid))

    def store_classifier(self, classifier: CriterionClassifier) -> dict[str, Any]:
        """Write a fitted classifier to the blob store; returns its reference."""
        model = classifier.to_model()
        data = encode_model(model)
        key = self.blobs.put(data)
        return {
            "blob_key": key,
            "sha256": key,
            "size_bytes": len(data),
            "format_version": model.format_version,
        }

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
        classifiers: dict[str, dict[str, Any]],
        metrics: dict[str, Any] | None = None,
    ) -> str:
        """Record a trained classifier set, complete the workflow, and start grading.

        In the same transaction, every grading workflow of the item that waits for
        classifiers is given the new set; they are queued once it commits.

        Args:
            classifiers: ``{criterion: store_classifier(...) result}`` for every scored
                criterion.
            metrics: Cross-validated quality, kept on the set; the item's ``min_qwk``
                gate is checked against it.

        Returns:
            The classifier set's uuid; on a complete workflow, the one it already has.

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
            RequestError: ``training_invalid``; a scored criterion has no classifier, or a blob
                is missing.
            RequestError: ``quality_gate_failed``; a criterion's QWK is below the item's
                ``min_qwk``; nothing is
                recorded, and the item keeps its previous classifier set.
        """
        released: list[str] = []
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
                spec = classifiers.get(criterion.name)
                if spec is None or not self.blobs.exists(spec["blob_key"]):
                    raise RequestError(
                        f"no stored classifier for criterion {criterion.name!r}",
                        field=f"classifiers.{criterion.name}",
                        code="training_invalid",
                    )
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
            )
            session.add(classifier_set)
            session.flush()
            session.add_all(
                ClassifierRecord(
                    classifier_set_uuid=classifier_set.uuid,
                    criterion=c.name,
                    blob_key=classifiers[c.name]["blob_key"],
                    sha256=classifiers[c.name]["sha256"],
                    size_bytes=classifiers[c.name]["size_bytes"],
                    format_version=classifiers[c.name]["format_version"],
                )
                for c in rubric.scored_criteria
            )
            now = utcnow()
            workflow.classifier_set_uuid = classifier_set.uuid
            workflow.completed_at = now
            workflow.failed_at = None
            workflow.last_error = None
            workflow.criteria_done = workflow.criteria_total
            # Only a set for the item's current rubric may grade its waiting submissions.
            if item.rubric.structure_hash == rubric.structure_hash:
                released = _release_waiting(session, workflow, classifier_set, now)
            set_uuid = classifier_set.uuid
        self.task_queue.enqueue_many(TaskType.GRADE, released)
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

    def _may_start(self, workflow: TrainingWorkflowRecord | GradingWorkflowRecord) -> bool:
        if workflow.completed_at is not None or workflow.failed_at is not None:
            return False
        if workflow.attempts >= self.settings.max_attempts:
            workflow.failed_at = utcnow()
            workflow.last_error = gave_up(workflow.attempts, workflow.last_error)
            log.error("workflow %s failed: %s", workflow.uuid, workflow.last_error)
            return False
        return True


def _grading_params(session: Session, workflow: GradingWorkflowRecord) -> dict[str, Any]:
    classifier_set = session.get(ClassifierSetRecord, workflow.classifier_set_uuid)
    assert classifier_set is not None  # a foreign key guarantees it
    rubric = rubric_of(classifier_set.rubric)
    return {
        "workflow_uuid": workflow.uuid,
        "submission_uuid": workflow.submission_uuid,
        "course_id": workflow.course_id,
        "item_id": workflow.item_id,
        "essay_text": workflow.submission.text,
        "classifier_set_uuid": classifier_set.uuid,
        "algorithm_id": classifier_set.algorithm_id,
        "classifiers": {
            c.criterion: {
                "blob_key": c.blob_key,
                "sha256": c.sha256,
                "size_bytes": c.size_bytes,
                "format_version": c.format_version,
            }
            for c in classifier_set.classifiers
        },
        "valid_points": {c.name: c.valid_points for c in rubric.scored_criteria},
    }


def _training_params(session: Session, workflow: TrainingWorkflowRecord) -> dict[str, Any]:
    rubric = rubric_of(workflow.rubric)
    item = find_item(session, ItemKey(workflow.course_id, workflow.item_id))
    examples = session.scalars(
        select(TrainingExampleRecord)
        .where(TrainingExampleRecord.workflow_uuid == workflow.uuid)
        .order_by(TrainingExampleRecord.position)
    ).all()
    criteria = rubric.scored_criteria
    return {
        "workflow_uuid": workflow.uuid,
        "course_id": workflow.course_id,
        "item_id": workflow.item_id,
        "algorithm_id": workflow.algorithm_id,
        "prompt": item.prompt,
        "min_qwk": item.min_qwk,
        "criteria": [{"name": c.name, "valid_points": c.valid_points} for c in criteria],
        "examples": [
            {
                "text": e.text,
                "scores": {
                    c.name: c.option_named(e.options_selected[c.name]).points  # type: ignore[union-attr]
                    for c in criteria
                },
            }
            for e in examples
        ],
    }


def _release_waiting(
    session: Session,
    workflow: TrainingWorkflowRecord,
    classifier_set: ClassifierSetRecord,
    now: Any,
) -> list[str]:
    waiting = (
        GradingWorkflowRecord.course_id == workflow.course_id,
        GradingWorkflowRecord.item_id == workflow.item_id,
        GradingWorkflowRecord.completed_at.is_(None),
        GradingWorkflowRecord.classifier_set_uuid.is_(None),
    )
    uuids = list(
        session.scalars(
            select(GradingWorkflowRecord.uuid)
            .where(*waiting)
            .order_by(GradingWorkflowRecord.created_at)
        )
    )
    session.execute(
        update(GradingWorkflowRecord)
        .where(*waiting)
        .values(
            classifier_set_uuid=classifier_set.uuid,
            rubric_id=classifier_set.rubric_id,
            scheduled_at=now,
        )
    )
    return uuids
