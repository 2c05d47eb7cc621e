"""The worker API's grading calls: begin a batch, load its classifiers, record its results.

A grading task names many workflows of one item. Beginning them is one transaction (lock
the rows, skip the finished, count attempts, give up those out of attempts, read the
texts and classifier sets in bulk); recording their results is another, in bulk.
Each workflow stays independent: one whose essay could not be scored fails alone with
its error, and one completed meanwhile (by a duplicate task) keeps its first assessment.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, lazyload

from essaygrader.algorithms.base import CriterionClassifier
from essaygrader.algorithms.flags import text_signature
from essaygrader.algorithms.flags.text import (
    SIGNATURE_SIZE,
    SignatureIndex,
    signature_bytes,
    signature_from_bytes,
)
from essaygrader.algorithms.model_format import decode_model
from essaygrader.api.records import (
    current_classifier_set,
    find_grading_workflow,
    internal_errors,
)
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    GradingWorkflowRecord,
    ItemRecord,
    SubmissionRecord,
    new_uuid,
    utcnow,
)
from essaygrader.db.workflows import (
    completed_values,
    failed_values,
    give_up,
    is_open,
    out_of_attempts,
)
from essaygrader.domain.assessment import (
    ASSESSMENT_TYPE_AI,
    DEFAULT_REVIEW_CONFIDENCE_BELOW,
    ReviewPolicy,
    review_status_at_grading,
)
from essaygrader.errors import InternalError, RequestError
from essaygrader.worker.classifier_sets import KnownSet, known_sets
from essaygrader.worker.maintenance import MAX_ERROR_CHARS, WorkerMaintenanceAPI
from essaygrader.worker.params import (
    ClassifierSetSpec,
    CriterionScore,
    EssayToGrade,
    GradingBatch,
    GradingResult,
    StoredClassifier,
)

SIGNATURE_BYTES = 4 * SIGNATURE_SIZE

log = logging.getLogger(__name__)


class GradingWorkerAPI(WorkerMaintenanceAPI):
    """What grading tasks call."""

    @cached_property
    def _signature_indexes(self) -> OrderedDict[tuple[str, str], _IndexedItem]:
        """This process's submission signature indexes, by item (:func:`_item_signatures`)."""
        return OrderedDict()

    def begin_grading(
        self, workflow_uuids: Sequence[str], *, worker_name: str | None = None
    ) -> GradingBatch:
        """Record an attempt on each workflow that has work to do, and return that work.

        Complete and failed workflows are skipped, as are unknown ids (a task older than
        a restored backup, say). One started ``max_attempts`` times is marked failed
        instead. A waiting one is given its item's current classifier set, or skipped
        while there is none: training completion schedules it.

        Args:
            workflow_uuids: Grading workflows, usually of one item.
            worker_name: The worker taking the task, as its heartbeat names it.

        Raises:
            InternalError: ``grading_internal_error``; the database failed (retryable).
        """
        uuids = list(dict.fromkeys(workflow_uuids))
        with (
            internal_errors("grading_internal_error", f"starting grading of {_describe(uuids)}"),
            self.database.transaction() as session,
        ):
            now = utcnow()
            found: dict[str, GradingWorkflowRecord] = {}
            submissions: dict[str, _Submission] = {}
            for workflow, *columns in session.execute(
                _locked(uuids)
                .add_columns(
                    SubmissionRecord.id,
                    SubmissionRecord.student_id,
                    SubmissionRecord.text,
                    SubmissionRecord.signature,
                )
                .join(GradingWorkflowRecord.submission)
            ):
                found[workflow.uuid] = workflow
                submissions[workflow.uuid] = _Submission(*columns)
            skipped: dict[str, str] = {}
            started: list[GradingWorkflowRecord] = []
            current: dict[tuple[str, str, str], str | None] = {}
            for uuid in uuids:
                workflow = found.get(uuid)
                reason = self._reason_to_skip(session, workflow, now, current)
                if reason is not None:
                    skipped[uuid] = reason
                    continue
                assert workflow is not None
                workflow.attempts += 1
                workflow.started_at = now
                workflow.started_by = worker_name
                started.append(workflow)
            essays = [_essay(session, w, submissions[w.uuid]) for w in started]
            sets = known_sets(session, {e.classifier_set_uuid for e in essays})
            signatures = _item_signatures(session, essays, self._signature_indexes)
        return GradingBatch(
            essays, {u: known.spec for u, known in sets.items()}, skipped, signatures
        )

    def _reason_to_skip(
        self,
        session: Session,
        workflow: GradingWorkflowRecord | None,
        now: datetime,
        current: dict[tuple[str, str, str], str | None],
    ) -> str | None:
        if workflow is None:
            return "unknown"
        if not is_open(workflow):
            return "complete" if workflow.completed_at is not None else "failed"
        if out_of_attempts(workflow, self.settings.max_attempts):
            give_up(workflow, now)
            log.error("grading workflow %s failed: %s", workflow.uuid, workflow.last_error)
            return "gave up"
        if workflow.classifier_set_uuid is None:
            key = (workflow.course_id, workflow.item_id, workflow.rubric.structure_hash)
            if key not in current:
                found = current_classifier_set(session, *key)
                current[key] = found.uuid if found else None
            if current[key] is None:
                return "waiting for classifiers"
            workflow.classifier_set_uuid = current[key]
        return None

    def load_classifiers(self, spec: ClassifierSetSpec) -> dict[str, CriterionClassifier]:
        """The classifier of each criterion of a set.

        Looked up in the process's memory cache, then read through the blob store (which,
        for a remote store, is behind the machine's disk cache).

        Raises:
            InternalError: ``blob_not_found``, ``blob_integrity_error``, ``storage_error``; the
                blob cannot be read intact.
            InternalError: ``algorithm_load_error``, ``incompatible_model``; the model cannot be
                loaded.
        """
        return {
            criterion: self.classifier_cache.get_or_load(
                stored.sha256,
                partial(self._load, spec.algorithm_id, stored),
                stored_bytes=stored.size_bytes,
            )
            for criterion, stored in spec.classifiers.items()
        }

    def _load(self, algorithm_id: str, stored: StoredClassifier) -> CriterionClassifier:
        data = self.blobs.get(stored.blob_key)
        model = decode_model(data)
        if model.format_version != stored.format_version:
            raise InternalError(
                f"classifier blob {stored.blob_key} holds format {model.format_version}, "
                f"but its record says {stored.format_version}",
                code="algorithm_load_error",
            )
        return self.algorithms.load(algorithm_id, model)

    def record_grading_results(self, results: Sequence[GradingResult]) -> dict[str, str | None]:
        """Record each essay's assessment, or its error, in one transaction; once each.

        A workflow already complete keeps its first assessment. A result with an error,
        or with scores that do not fit the rubric (a missing criterion, invalid points,
        a confidence outside [0, 1]), fails that workflow alone, keeping the error.

        Returns:
            ``{workflow uuid: assessment uuid}``; None for a workflow that failed, and
            for an unknown one.

        Raises:
            InternalError: ``grading_internal_error``; the database failed (retryable);
                nothing is recorded.
        """
        if not results:
            return {}
        with (
            internal_errors("grading_internal_error", f"storing {len(results)} assessment(s)"),
            self.database.transaction() as session,
        ):
            now = utcnow()
            workflows = {
                w.uuid: w for w in session.scalars(_locked([r.workflow_uuid for r in results]))
            }
            sets = known_sets(session, {r.classifier_set_uuid for r in results})
            policies = _review_policies(session, workflows.values())
            recorded: dict[str, str | None] = {}
            assessments: list[dict[str, Any]] = []
            parts: list[dict[str, Any]] = []
            for result in results:
                workflow = workflows.get(result.workflow_uuid)
                if workflow is None:
                    log.warning("no grading workflow %s to record", result.workflow_uuid)
                    recorded[result.workflow_uuid] = None
                    continue
                if workflow.completed_at is not None:
                    recorded[workflow.uuid] = workflow.assessment_uuid
                    continue
                error = result.error
                if error is None:
                    try:
                        assessment, its_parts = _assessment_rows(
                            workflow, sets.get(result.classifier_set_uuid), result, now
                        )
                        assessment["review_status"] = review_status_at_grading(
                            *policies.get(
                                (workflow.course_id, workflow.item_id),
                                (ReviewPolicy.NONE.value, DEFAULT_REVIEW_CONFIDENCE_BELOW),
                            ),
                            assessment["flags"],
                            [part["confidence"] for part in its_parts],
                        ).value
                    except RequestError as exc:
                        error = f"{exc.code}: {exc}"
                if error is not None:
                    for column, value in failed_values(now, error[:MAX_ERROR_CHARS]).items():
                        setattr(workflow, column, value)
                    log.error("grading workflow %s failed: %s", workflow.uuid, error)
                    recorded[workflow.uuid] = None
                    continue
                assessments.append(assessment)
                parts += its_parts
                known = sets[result.classifier_set_uuid]
                workflow.classifier_set_uuid = known.spec.uuid
                workflow.rubric_id = known.rubric_id
                workflow.assessment_uuid = assessment["uuid"]
                for column, value in completed_values(now).items():
                    setattr(workflow, column, value)
                recorded[workflow.uuid] = assessment["uuid"]
            if assessments:
                session.execute(insert(AssessmentRecord), assessments)
            if parts:
                session.execute(insert(AssessmentPartRecord), parts)
            return recorded

    def is_grading_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the workflow has its assessment."""
        with (
            internal_errors("grading_internal_error", f"reading grading {workflow_uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return find_grading_workflow(session, workflow_uuid).completed_at is not None


class _Submission(NamedTuple):
    id: int
    student_id: str
    text: str
    signature: bytes | None


def _essay(session: Session, workflow: GradingWorkflowRecord, row: _Submission) -> EssayToGrade:
    """The essay a begun workflow grades, with its signature (made and kept now for a
    submission stored before signatures existed, or whose stored one is unfit)."""
    try:
        signature = None if row.signature is None else signature_from_bytes(row.signature)
    except ValueError:
        signature = None
    if signature is None:
        signature = text_signature(row.text)
        session.execute(
            update(SubmissionRecord)
            .where(SubmissionRecord.id == row.id)
            .values(signature=signature_bytes(signature))
        )
    return EssayToGrade(
        workflow.uuid,
        row.text,
        workflow.classifier_set_uuid or "",
        submission_uuid=workflow.submission_uuid,
        submission_id=row.id,
        student_id=row.student_id,
        item=(workflow.course_id, workflow.item_id),
        signature=signature,
    )


# Items whose signature indexes a process keeps; the least recently graded is dropped.
SIGNATURE_INDEXES_KEPT = 64


class _IndexedItem(NamedTuple):
    signatures: SignatureIndex
    last_id: int  # the newest submission read into the index
    rows_read: int  # rows read with a signature, indexed or not


def _item_signatures(
    session: Session,
    essays: Sequence[EssayToGrade],
    kept: OrderedDict[tuple[str, str], _IndexedItem],
) -> dict[tuple[str, str], SignatureIndex]:
    """The signatures of every submission of the essays' items: what the ``duplicate``
    flag compares them with.

    ``kept`` holds this process's indexes from earlier batches: only submissions newer
    than those read before are read now. An index is rebuilt when the item's older
    signatures are not all still there (a student's data erased, texts purged).
    """
    found = {}
    for course_id, item_id in dict.fromkeys(essay.item for essay in essays):
        key = (course_id, item_id)
        of_item = (
            SubmissionRecord.course_id == course_id,
            SubmissionRecord.item_id == item_id,
            SubmissionRecord.signature.is_not(None),
        )
        known = kept.pop(key, None)
        if known is not None:
            still_there = session.scalar(
                select(func.count()).where(*of_item, SubmissionRecord.id <= known.last_id)
            )
            if still_there != known.rows_read:
                known = None
        if known is None:
            known = _IndexedItem(SignatureIndex(), 0, 0)
        rows = session.execute(
            select(
                SubmissionRecord.id,
                SubmissionRecord.uuid,
                SubmissionRecord.student_id,
                SubmissionRecord.signature,
            )
            .where(*of_item, SubmissionRecord.id > known.last_id)
            .order_by(SubmissionRecord.id)
        ).all()
        for row in rows:
            if len(row.signature) == SIGNATURE_BYTES:
                signature = np.frombuffer(row.signature, dtype="<u4").astype(np.uint32)
                known.signatures.add(row.id, row.uuid, row.student_id, signature)
        if rows:
            known = _IndexedItem(known.signatures, rows[-1].id, known.rows_read + len(rows))
        kept[key] = known
        while len(kept) > SIGNATURE_INDEXES_KEPT:
            kept.popitem(last=False)
        found[key] = known.signatures
    return found


def _review_policies(
    session: Session, workflows: Iterable[GradingWorkflowRecord]
) -> dict[tuple[str, str], tuple[str, float]]:
    """The review policy and confidence threshold of each item the workflows grade."""
    keys = {(w.course_id, w.item_id) for w in workflows}
    if not keys:
        return {}
    rows = session.execute(
        select(
            ItemRecord.course_id,
            ItemRecord.item_id,
            ItemRecord.review_policy,
            ItemRecord.review_confidence_below,
        ).where(or_(*(and_(ItemRecord.course_id == c, ItemRecord.item_id == i) for c, i in keys)))
    ).all()
    return {(c, i): (policy, below) for c, i, policy, below in rows}


def _describe(uuids: list[str]) -> str:
    return uuids[0] if len(uuids) == 1 else f"{len(uuids)} workflows"


def _locked(uuids: Sequence[str]) -> Select[GradingWorkflowRecord]:
    """The workflows, locked for update in one order everywhere (two batches that share
    workflows never deadlock), without their rubric (grading reads it from the set)."""
    return (
        select(GradingWorkflowRecord)
        .where(GradingWorkflowRecord.uuid.in_(uuids))
        .order_by(GradingWorkflowRecord.uuid)
        .options(lazyload(GradingWorkflowRecord.rubric))
        .with_for_update(of=GradingWorkflowRecord)
    )


def _assessment_rows(
    workflow: GradingWorkflowRecord,
    known: KnownSet | None,
    result: GradingResult,
    now: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The assessment and part rows of a result, checked against the set's rubric.

    Raises:
        RequestError: ``grading_invalid``; the result names a set of another item, or its
            scores do not fit the rubric.
    """
    if known is None or (known.course_id, known.item_id) != (workflow.course_id, workflow.item_id):
        raise RequestError(
            f"classifier set {result.classifier_set_uuid!r} does not belong to the item of "
            f"grading workflow {workflow.uuid}",
            field="classifier_set_uuid",
            code="grading_invalid",
        )
    rubric = known.rubric
    assessment = {
        "uuid": new_uuid(),
        "submission_uuid": workflow.submission_uuid,
        "grading_workflow_uuid": workflow.uuid,
        "classifier_set_uuid": known.spec.uuid,
        "score_type": ASSESSMENT_TYPE_AI,
        "scorer_id": known.spec.algorithm_id,
        "points_possible": rubric.points_possible,
        "scored_at": now,
        "feedback": {},
        "overall_feedback": "",
        "flags": [_flag(flag) for flag in result.flags],
    }
    parts = []
    for criterion in rubric.scored_criteria:
        score = (result.scores or {}).get(criterion.name)
        field = f"scores.{criterion.name}"
        if not isinstance(score, CriterionScore) or score.points not in criterion.valid_points:
            raise RequestError(
                f"needs points among {criterion.valid_points}, got {score!r}",
                field=field,
                code="grading_invalid",
            )
        confidence = float(score.confidence)
        if not 0.0 <= confidence <= 1.0:
            raise RequestError(
                f"confidence {confidence} is outside [0, 1]",
                field=f"{field}.confidence",
                code="grading_invalid",
            )
        parts.append(
            {
                "assessment_uuid": assessment["uuid"],
                "criterion": criterion.name,
                "option": criterion.option_for_points(score.points).name,
                "points": int(score.points),
                "confidence": confidence,
            }
        )
    return assessment, parts


def _flag(flag: dict[str, str]) -> dict[str, str]:
    """A flag as stored: its code and message, as strings.

    Raises:
        RequestError: ``grading_invalid``; a flag without a code.
    """
    code = flag.get("code") if isinstance(flag, dict) else None
    if not isinstance(code, str) or not code:
        raise RequestError(
            f"every flag needs a code, got {flag!r}", field="flags", code="grading_invalid"
        )
    stored = {"code": code, "message": str(flag.get("message", ""))}
    named = flag.get("submission_uuid")
    if isinstance(named, str) and named:
        stored["submission_uuid"] = named
    return stored
