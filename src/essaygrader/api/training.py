"""Training: graded examples in, a training workflow out."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import func, select

from essaygrader.api.base import (
    APIBase,
    page,
)
from essaygrader.api.idempotency import Idempotency
from essaygrader.api.records import (
    classifier_set_json,
    current_classifier_set,
    find_item,
    find_training_workflow,
    internal_errors,
    rubric_of,
    training_workflow_json,
)
from essaygrader.contract import (
    ClassifierSetOut,
    ClassifierSetsPage,
    ExampleError,
    ExamplesCheck,
    TrainingStarted,
    TrainingWorkflowOut,
    TrainingWorkflowsPage,
)
from essaygrader.db.models import (
    ClassifierSetRecord,
    TrainingExampleRecord,
    TrainingWorkflowRecord,
    utcnow,
)
from essaygrader.domain.item import ItemKey
from essaygrader.domain.training import (
    MAX_EXAMPLES,
    TrainingExample,
    check_trainable,
    parse_examples,
)
from essaygrader.domain.validation import require_id
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError

log = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 100


class TrainingAPI(APIBase):
    def train_classifiers(
        self,
        course_id: str,
        item_id: str,
        examples: list[dict[str, Any]],
        *,
        algorithm_id: str | None = None,
        idempotency_key: str | None = None,
        idempotency_owner: str = "",
    ) -> TrainingStarted:
        """Store graded examples and schedule training of one classifier per criterion.

        Args:
            examples: ``[{"text": ..., "options_selected": {criterion: option}}]``.
            algorithm_id: Overrides the item's algorithm for this training.
            idempotency_key: Makes a retry safe: a second call with the same key returns
                the first one's result and starts nothing (see
                :mod:`essaygrader.api.idempotency`).
            idempotency_owner: Whose key it is (the HTTP layer passes the token's id).

        Returns:
            ``{"training_workflow_uuid": ..., "algorithm_id": ..., "warnings": [...]}``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
            RequestError: ``training_invalid``; invalid examples, naming the example index and
                field.
            RequestError: ``unknown_algorithm``; the algorithm is not registered.
            RequestError: ``idempotency_key_reused``; the key came with another request.
        """
        key = ItemKey.parse(course_id, item_id)
        if algorithm_id is not None:
            self.algorithms.check(algorithm_id)
        idempotency = Idempotency.of(
            idempotency_key,
            idempotency_owner,
            "train_classifiers",
            {
                "course_id": course_id,
                "item_id": item_id,
                "examples": examples,
                "algorithm_id": algorithm_id,
            },
        )
        with (
            internal_errors("training_internal_error", f"starting training of item {key}"),
            self.database.transaction() as session,
        ):
            if idempotency is not None and (replayed := idempotency.replay(session)) is not None:
                return cast("TrainingStarted", replayed)
            item = find_item(session, key)
            rubric = rubric_of(item.rubric)
            parsed = parse_examples(examples, rubric, max_chars=self.settings.max_essay_chars)
            warnings = check_trainable(
                parsed,
                rubric,
                min_examples=self.settings.min_training_examples,
                warn_below=self.settings.warn_training_examples,
            )
            chosen = self.algorithms.check(
                algorithm_id or item.algorithm_id or self.settings.default_algorithm
            )
            workflow = TrainingWorkflowRecord(
                course_id=key.course_id,
                item_id=key.item_id,
                rubric_id=item.rubric_id,
                algorithm_id=chosen,
                scheduled_at=utcnow(),
                criteria_total=len(rubric.scored_criteria),
            )
            session.add(workflow)
            session.flush()
            session.add_all(
                TrainingExampleRecord(
                    workflow_uuid=workflow.uuid,
                    position=i,
                    text=e.text,
                    options_selected=e.options_selected,
                )
                for i, e in enumerate(parsed)
            )
            started: TrainingStarted = {
                "training_workflow_uuid": workflow.uuid,
                "algorithm_id": chosen,
                "warnings": warnings,
            }
            if idempotency is not None:
                idempotency.record(session, started)
        self.task_queue.enqueue(TaskType.TRAIN, started["training_workflow_uuid"])
        return started

    def get_training_workflow(self, workflow_uuid: str) -> TrainingWorkflowOut:
        """A training workflow's status, attempts, error and progress.

        Raises:
            NotFoundError: ``training_workflow_not_found``; no such workflow.
        """
        uuid = require_id(workflow_uuid, "workflow_uuid", "training_invalid")
        with (
            internal_errors("training_internal_error", f"reading training workflow {uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return training_workflow_json(find_training_workflow(session, uuid))

    def is_training_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether training finished and its classifiers are stored."""
        return bool(self.get_training_workflow(workflow_uuid)["status"] == "complete")

    def get_classifier_set_info(self, course_id: str, item_id: str) -> ClassifierSetOut | None:
        """The classifier set that grades the item now, with its quality metrics, or None."""
        key = ItemKey.parse(course_id, item_id)
        with (
            internal_errors("training_internal_error", f"reading classifiers of item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            item = find_item(session, key)
            record = current_classifier_set(
                session, key.course_id, key.item_id, item.rubric.structure_hash
            )
            return classifier_set_json(record) if record else None

    def list_classifier_sets(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ClassifierSetsPage:
        """Every classifier set trained for an item, newest first, with its metrics.

        Returns:
            ``{"classifier_sets": [...], "current_uuid": uuid or None, "total": n, ...}``;
            ``current_uuid`` names the set that grades the item now.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
        """
        key = ItemKey.parse(course_id, item_id)
        offset, limit = page(offset, limit, "training_invalid")
        with (
            internal_errors("training_internal_error", f"listing classifier sets of item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            item = find_item(session, key)
            current = current_classifier_set(
                session, key.course_id, key.item_id, item.rubric.structure_hash
            )
            mine = (
                ClassifierSetRecord.course_id == key.course_id,
                ClassifierSetRecord.item_id == key.item_id,
            )
            total = session.scalar(
                select(func.count()).select_from(ClassifierSetRecord).where(*mine)
            )
            records = session.scalars(
                select(ClassifierSetRecord)
                .where(*mine)
                .order_by(ClassifierSetRecord.created_at.desc(), ClassifierSetRecord.uuid.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return {
                "classifier_sets": [classifier_set_json(r) for r in records],
                "current_uuid": current.uuid if current else None,
                "total": total or 0,
                "offset": offset,
                "limit": limit,
            }

    def list_training_workflows(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> TrainingWorkflowsPage:
        """An item's training workflows, newest first: ``{"training_workflows": [...], ...}``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
        """
        key = ItemKey.parse(course_id, item_id)
        offset, limit = page(offset, limit, "training_invalid")
        with (
            internal_errors("training_internal_error", f"listing training of item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            find_item(session, key)
            mine = (
                TrainingWorkflowRecord.course_id == key.course_id,
                TrainingWorkflowRecord.item_id == key.item_id,
            )
            total = session.scalar(
                select(func.count()).select_from(TrainingWorkflowRecord).where(*mine)
            )
            records = session.scalars(
                select(TrainingWorkflowRecord)
                .where(*mine)
                .order_by(
                    TrainingWorkflowRecord.created_at.desc(), TrainingWorkflowRecord.uuid.desc()
                )
                .offset(offset)
                .limit(limit)
            ).all()
            return {
                "training_workflows": [training_workflow_json(r) for r in records],
                "total": total or 0,
                "offset": offset,
                "limit": limit,
            }

    def check_training_examples(
        self, course_id: str, item_id: str, examples: list[dict[str, Any]]
    ) -> ExamplesCheck:
        """Validate examples as :meth:`train_classifiers` would, reporting every bad one.

        Nothing is stored. Each invalid example gets its own error (up to 100), so a
        person can fix a whole file at once; the checks of the set as a whole (enough
        examples, more than one point value per criterion) run when every example is valid.

        Returns:
            ``{"valid": bool, "examples": n, "errors": [{"index", "field", "message"}],
            "warnings": [...]}``; ``index`` is None for an error about the whole set.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
        """
        key = ItemKey.parse(course_id, item_id)
        with (
            internal_errors("training_internal_error", f"reading item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            rubric = rubric_of(find_item(session, key).rubric)
        if not isinstance(examples, list) or not examples or len(examples) > MAX_EXAMPLES:
            # The whole list is wrong: let the full parser say how, once.
            try:
                parse_examples(examples, rubric, max_chars=self.settings.max_essay_chars)
            except RequestError as exc:
                return _check_result(examples, [_error(None, exc)], [])
        parsed: list[TrainingExample] = []
        errors: list[ExampleError] = []
        for index, example in enumerate(examples):
            try:
                parsed += parse_examples([example], rubric, max_chars=self.settings.max_essay_chars)
            except RequestError as exc:
                errors.append(_error(index, exc))
                if len(errors) >= MAX_REPORTED_ERRORS:
                    break
        warnings: list[str] = []
        if not errors:
            try:
                warnings = check_trainable(
                    parsed,
                    rubric,
                    min_examples=self.settings.min_training_examples,
                    warn_below=self.settings.warn_training_examples,
                )
            except RequestError as exc:
                errors.append(_error(None, exc))
        return _check_result(examples, errors, warnings)


def _error(index: int | None, exc: RequestError) -> ExampleError:
    field = exc.field or "examples"
    if index is not None:
        # Each example was parsed alone, as examples[0]; give it back its place.
        field = field.replace("examples[0]", f"examples[{index}]", 1)
    return {"index": index, "field": field, "message": exc.message}


def _check_result(examples: Any, errors: list[ExampleError], warnings: list[str]) -> ExamplesCheck:
    return {
        "valid": not errors,
        "examples": len(examples) if isinstance(examples, list) else 0,
        "errors": errors,
        "warnings": warnings,
    }
