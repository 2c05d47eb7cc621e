"""Training: graded examples in, a training workflow out."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from essaygrader.api.base import (
    APIBase,
    page,
)
from essaygrader.api.idempotency import Idempotency
from essaygrader.api.queue import enqueue_after_commit
from essaygrader.api.records import (
    assessments_of_submissions,
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
    AssessmentRecord,
    ClassifierSetRecord,
    SubmissionRecord,
    TrainingExampleRecord,
    TrainingWorkflowRecord,
    utcnow,
)
from essaygrader.domain.assessment import ASSESSMENT_TYPE_STAFF
from essaygrader.domain.item import ItemKey
from essaygrader.domain.rubric import Rubric
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
        examples: list[dict[str, Any]] | None = None,
        *,
        from_graded_submissions: bool = False,
        algorithm_id: str | None = None,
        idempotency_key: str | None = None,
        idempotency_owner: str = "",
    ) -> TrainingStarted:
        """Store graded examples and schedule training of one classifier per criterion.

        The training set is the examples given plus, with ``from_graded_submissions``,
        the item's staff-graded submissions, each with the options of its newest staff
        assessment. The workflow records how many of each it used, and its example rows
        name the submissions.

        Args:
            examples: ``[{"text": ..., "options_selected": {criterion: option}}]``;
                may be left out (or empty) with ``from_graded_submissions``.
            from_graded_submissions: Also train on the staff-graded submissions.
            algorithm_id: Overrides the item's algorithm for this training.
            idempotency_key: Makes a retry safe: a second call with the same key returns
                the first one's result and starts nothing (see
                :mod:`essaygrader.api.idempotency`).
            idempotency_owner: Whose key it is (the HTTP layer passes the token's id).

        Returns:
            ``{"training_workflow_uuid", "algorithm_id", "warnings", "examples_uploaded",
            "examples_from_graded"}``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
            RequestError: ``training_invalid``; invalid examples, naming the example index and
                field; no staff-graded submission to train from.
            RequestError: ``unknown_algorithm``; the algorithm is not registered.
            RequestError: ``idempotency_key_reused``; the key came with another request.
        """
        key = ItemKey.parse(course_id, item_id)
        if not isinstance(from_graded_submissions, bool):
            raise RequestError(
                "must be true or false", field="from_graded_submissions", code="training_invalid"
            )
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
                "from_graded_submissions": from_graded_submissions,
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
            uploaded: list[TrainingExample] = []
            if not from_graded_submissions or examples:
                uploaded = parse_examples(examples, rubric, max_chars=self.settings.max_essay_chars)
            graded: list[tuple[str, TrainingExample]] = []
            warnings: list[str] = []
            if from_graded_submissions:
                graded, warnings = graded_examples(session, key, rubric)
                if not graded:
                    raise RequestError(
                        f"no submission of item {key} has a staff assessment for its current "
                        "rubric yet; grade some first",
                        field="from_graded_submissions",
                        code="training_invalid",
                    )
            parsed = uploaded + [example for _, example in graded]
            warnings += check_trainable(
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
                uploaded_examples=len(uploaded),
                graded_examples=len(graded),
            )
            session.add(workflow)
            session.flush()
            sources = [None] * len(uploaded) + [submission for submission, _ in graded]
            session.add_all(
                TrainingExampleRecord(
                    workflow_uuid=workflow.uuid,
                    position=i,
                    text=e.text,
                    options_selected=e.options_selected,
                    submission_uuid=source,
                )
                for i, (e, source) in enumerate(zip(parsed, sources, strict=True))
            )
            started: TrainingStarted = {
                "training_workflow_uuid": workflow.uuid,
                "algorithm_id": chosen,
                "warnings": warnings,
                "examples_uploaded": len(uploaded),
                "examples_from_graded": len(graded),
            }
            if idempotency is not None:
                idempotency.record(session, started)
            enqueue_after_commit(
                session, self.task_queue, TaskType.TRAIN, [started["training_workflow_uuid"]]
            )
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


def graded_examples(
    session: Session, key: ItemKey, rubric: Rubric
) -> tuple[list[tuple[str, TrainingExample]], list[str]]:
    """The item's staff-graded submissions as training examples, oldest submission first.

    Each takes the options of the submission's newest staff assessment (its current
    assessment). One whose options no longer fit the rubric (changed since) is left out,
    with a warning.

    Returns:
        ``([(submission uuid, example)], warnings)``.
    """
    rows = session.execute(
        select(SubmissionRecord.uuid, SubmissionRecord.text)
        .where(
            SubmissionRecord.course_id == key.course_id,
            SubmissionRecord.item_id == key.item_id,
            select(AssessmentRecord.uuid)
            .where(
                AssessmentRecord.submission_uuid == SubmissionRecord.uuid,
                AssessmentRecord.score_type == ASSESSMENT_TYPE_STAFF,
            )
            .exists(),
        )
        .order_by(SubmissionRecord.id)
    ).all()
    texts = dict(rows)
    assessments = assessments_of_submissions(session, texts)
    examples: list[tuple[str, TrainingExample]] = []
    unfit = 0
    for uuid, text in texts.items():
        staff = next(r for r in assessments[uuid] if r.score_type == ASSESSMENT_TYPE_STAFF)
        options = {p.criterion: p.option for p in staff.parts}
        fits = all(
            c.name in options and c.option_named(options[c.name]) is not None
            for c in rubric.scored_criteria
        )
        if not fits:
            unfit += 1
            continue
        selected = {c.name: options[c.name] for c in rubric.scored_criteria}
        examples.append((uuid, TrainingExample(text=text, options_selected=selected)))
    warnings = (
        [
            f"{unfit} staff-graded submission(s) left out: graded on an earlier rubric whose "
            "criteria or options differ; grade them again to use them"
        ]
        if unfit
        else []
    )
    return examples, warnings


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
