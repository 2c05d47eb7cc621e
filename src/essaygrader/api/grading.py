"""Submissions, their grading workflows and their assessments."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from essaygrader.algorithms.flags import text_signature
from essaygrader.algorithms.flags.text import signature_bytes
from essaygrader.api.base import (
    MAX_BATCH_SUBMISSIONS,
    APIBase,
    page,
)
from essaygrader.api.idempotency import Idempotency
from essaygrader.api.queue import enqueue_after_commit
from essaygrader.api.records import (
    assessments_of_submissions,
    current_assessment_json,
    current_classifier_set,
    find_grading_workflow,
    find_item,
    grading_workflow_json,
    internal_errors,
    iso,
    stamp,
    submission_review_status,
    training_workflow_json,
)
from essaygrader.contract import (
    AssessmentOut,
    GradingWorkflowOut,
    SubmissionOut,
    SubmissionsPage,
    SubmissionSummary,
    Submitted,
)
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    GradingWorkflowRecord,
    SubmissionRecord,
    TrainingWorkflowRecord,
    new_uuid,
    utcnow,
)
from essaygrader.db.workflows import has_status
from essaygrader.domain.assessment import ASSESSMENT_TYPE_STAFF
from essaygrader.domain.item import ItemKey
from essaygrader.domain.submission import essay_field, essay_text
from essaygrader.domain.validation import require_id, require_mapping
from essaygrader.domain.workflow import TaskType, WorkflowStatus
from essaygrader.errors import NotFoundError, RequestError

log = logging.getLogger(__name__)


class GradingAPI(APIBase):
    def submit(
        self,
        course_id: str,
        item_id: str,
        student_id: str,
        answer: Any = None,
        *,
        external_id: str | None = None,
        text: str | None = None,
        idempotency_key: str | None = None,
        idempotency_owner: str = "",
    ) -> Submitted:
        """Store a submission and start grading it.

        The essay is ``text``; ``answer`` is its older name, which also takes the
        ``{"text": ...}`` and ``{"parts": [...]}`` shapes. Give one of them.

        It is graded with the item's current classifier set; when none exists yet, the
        grading workflow waits and is scheduled as soon as training completes.

        Args:
            idempotency_key: Makes a retry safe: a second call with the same key (within
                ``idempotency_key_hours``) returns the first one's result and stores
                nothing; see :mod:`essaygrader.api.idempotency`.
            idempotency_owner: Whose key it is (the HTTP layer passes the token's id);
                keys of different owners never meet.

        Returns:
            ``{"submission_uuid", "grading_workflow_uuid", "status"}``; status is
            ``scheduled`` or ``waiting``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
            RequestError: ``grading_invalid``; an invalid field (empty or oversized essay, bad
                answer
                shape), named in the error.
            RequestError: ``idempotency_key_reused``; the key came with another request.
        """
        submission = {
            "student_id": student_id,
            **({} if answer is None else {"answer": answer}),
            **({} if text is None else {"text": text}),
            "external_id": external_id,
        }
        idempotency = Idempotency.of(
            idempotency_key,
            idempotency_owner,
            "submit",
            {"course_id": course_id, "item_id": item_id, "submission": submission},
        )
        return self._submit(
            course_id, item_id, [submission], indexed=False, idempotency=idempotency
        )[0]

    def submit_many(
        self,
        course_id: str,
        item_id: str,
        submissions: Sequence[dict[str, Any]],
        *,
        progress: Callable[[int], None] | None = None,
        idempotency_key: str | None = None,
        idempotency_owner: str = "",
    ) -> list[Submitted]:
        """Store several submissions in one transaction: all of them or, on error, none.

        Args:
            submissions: ``[{"student_id", "text", "external_id" (optional)}]``; the
                essay may be given as ``answer``, its older name, instead of ``text``.
            progress: Called, once they are committed, with the number of submissions
                whose grading was handed to the queue.
            idempotency_key: Makes a retry safe, as for :meth:`submit`.
            idempotency_owner: Whose key it is, as for :meth:`submit`.

        Returns:
            One result per submission, in order, shaped as :meth:`submit`'s.

        Raises:
            RequestError: ``grading_invalid``; naming the index and field of the first invalid one.
            RequestError: ``idempotency_key_reused``; the key came with another request.
        """
        idempotency = Idempotency.of(
            idempotency_key,
            idempotency_owner,
            "submit_many",
            {"course_id": course_id, "item_id": item_id, "submissions": submissions},
        )
        return self._submit(
            course_id,
            item_id,
            submissions,
            indexed=True,
            progress=progress,
            idempotency=idempotency,
        )

    def _submit(
        self,
        course_id: str,
        item_id: str,
        submissions: Sequence[dict[str, Any]],
        *,
        indexed: bool,
        progress: Callable[[int], None] | None = None,
        idempotency: Idempotency | None = None,
    ) -> list[Submitted]:
        key = ItemKey.parse(course_id, item_id)
        if not isinstance(submissions, Sequence) or isinstance(submissions, str | bytes):
            raise RequestError("must be a list", field="submissions", code="grading_invalid")
        if len(submissions) > MAX_BATCH_SUBMISSIONS:
            raise RequestError(
                f"has {len(submissions):,} entries; send at most {MAX_BATCH_SUBMISSIONS:,} "
                "per request",
                field="submissions",
                code="grading_invalid",
            )
        rows = [
            self._submission_fields(s, f"submissions[{i}]." if indexed else "")
            for i, s in enumerate(submissions)
        ]
        for row in rows:
            # For the duplicate flag: grading compares signatures, never other essays.
            row["signature"] = signature_bytes(text_signature(row["text"]))
        with (
            internal_errors("grading_internal_error", f"storing submissions to item {key}"),
            self.database.transaction() as session,
        ):
            if idempotency is not None and (replayed := idempotency.replay(session)) is not None:
                return cast("list[Submitted]", replayed)
            item = find_item(session, key, lock="share")
            current = current_classifier_set(
                session, key.course_id, key.item_id, item.rubric.structure_hash
            )
            now = utcnow()
            submission_rows = [
                {
                    "uuid": new_uuid(),
                    "course_id": key.course_id,
                    "item_id": key.item_id,
                    "created_at": now,
                    **row,
                }
                for row in rows
            ]
            workflows = [
                {
                    "uuid": new_uuid(),
                    "submission_uuid": submission["uuid"],
                    "course_id": key.course_id,
                    "item_id": key.item_id,
                    "rubric_id": item.rubric_id,
                    "classifier_set_uuid": current.uuid if current else None,
                    "created_at": now,
                    "scheduled_at": now if current else None,
                    "attempts": 0,
                }
                for submission in submission_rows
            ]
            # Two statements however many rows (the driver batches them), not a flush each.
            session.execute(insert(SubmissionRecord), submission_rows)
            session.execute(insert(GradingWorkflowRecord), workflows)
            status: Literal["scheduled", "waiting"] = "scheduled" if current else "waiting"
            results: list[Submitted] = [
                {
                    "submission_uuid": submission["uuid"],
                    "grading_workflow_uuid": workflow["uuid"],
                    "status": status,
                }
                for submission, workflow in zip(submission_rows, workflows, strict=True)
            ]
            if current is not None:
                enqueue_after_commit(
                    session,
                    self.task_queue,
                    TaskType.GRADE,
                    [w["uuid"] for w in workflows],
                    sent=progress,
                )
            if idempotency is not None:
                idempotency.record(session, results)
        return results

    def _submission_fields(self, raw: Any, prefix: str) -> dict[str, Any]:
        raw = require_mapping(
            raw,
            prefix.rstrip(".") or "submission",
            "grading_invalid",
            {"student_id", "text", "answer", "external_id"},
        )
        external_id = raw.get("external_id")
        field, answer = essay_field(raw, prefix)
        return {
            "student_id": require_id(
                raw.get("student_id"), f"{prefix}student_id", "grading_invalid"
            ),
            "external_id": None
            if external_id in (None, "")
            else require_id(external_id, f"{prefix}external_id", "grading_invalid"),
            "answer": answer,
            "text": essay_text(answer, max_chars=self.settings.max_essay_chars, field=field),
        }

    def get_submission(self, submission_uuid: str) -> SubmissionOut:
        """A submission, its grading status and its latest assessment (or None).

        Raises:
            NotFoundError: ``submission_not_found``; no such submission.
        """
        uuid = require_id(submission_uuid, "submission_uuid", "grading_invalid")
        with (
            internal_errors("grading_internal_error", f"reading submission {uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            submission = session.scalar(
                select(SubmissionRecord).where(SubmissionRecord.uuid == uuid)
            )
            if submission is None:
                raise NotFoundError(
                    f"no submission {uuid!r}", field="submission_uuid", code="submission_not_found"
                )
            workflow = _latest_workflow(session, uuid)
            assessments = assessments_of_submissions(session, [uuid])[uuid]
            current = current_assessment_json(assessments)
            return {
                "uuid": submission.uuid,
                "course_id": submission.course_id,
                "item_id": submission.item_id,
                "student_id": submission.student_id,
                "external_id": submission.external_id,
                "answer": submission.answer,
                "text": submission.text,
                "created_at": stamp(submission.created_at),
                "grading_workflow": grading_workflow_json(workflow) if workflow else None,
                "assessment": current,
                "review_status": submission_review_status(assessments),
                "current_assessment_type": _type_of(current),
                "text_purged_at": iso(submission.text_purged_at),
            }

    def get_latest_assessment(self, submission_uuid: str) -> AssessmentOut | None:
        """The submission's current assessment, or None.

        The newest staff assessment if there is one, else the newest released AI
        assessment (:func:`essaygrader.api.records.current_assessment`): None while the
        essay is being graded, and while its AI assessment is held for review.

        Raises:
            NotFoundError: ``submission_not_found``; no such submission.
        """
        return self.get_submission(submission_uuid)["assessment"]

    def get_assessment_scores_by_criteria(self, submission_uuid: str) -> dict[str, int]:
        """``{criterion: points}`` of the current assessment; empty without one."""
        assessment = self.get_latest_assessment(submission_uuid)
        return {p["criterion"]: p["points"] for p in assessment["parts"]} if assessment else {}

    def get_grading_workflow(self, workflow_uuid: str) -> GradingWorkflowOut:
        """A grading workflow's status, attempts and error.

        Raises:
            NotFoundError: ``grading_workflow_not_found``; no such workflow.
        """
        uuid = require_id(workflow_uuid, "workflow_uuid", "grading_invalid")
        with (
            internal_errors("grading_internal_error", f"reading grading workflow {uuid}"),
            self.database.transaction(read_only=True) as session,
        ):
            return grading_workflow_json(find_grading_workflow(session, uuid))

    def is_grading_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the submission has its assessment."""
        return bool(self.get_grading_workflow(workflow_uuid)["status"] == "complete")

    def list_submissions(
        self,
        course_id: str,
        item_id: str,
        *,
        offset: int = 0,
        limit: int = 100,
        status: str | None = None,
        confidence_below: float | None = None,
    ) -> SubmissionsPage:
        """An item's submissions, oldest first, each with its status and current assessment.

        Args:
            status: Only workflows in this status (waiting, scheduled, failed, complete).
            confidence_below: Only graded submissions with a criterion scored at a
                confidence below this (from 0 to 1): the ones worth a person's look.

        Returns:
            ``{"submissions": [...], "total": n, "offset": ..., "limit": ...}``.
        """
        key = ItemKey.parse(course_id, item_id)
        offset, limit = page(offset, limit, "grading_invalid")
        with (
            internal_errors("grading_internal_error", f"listing submissions of item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            find_item(session, key)
            query = (
                select(SubmissionRecord, GradingWorkflowRecord)
                .join(
                    GradingWorkflowRecord,
                    GradingWorkflowRecord.submission_uuid == SubmissionRecord.uuid,
                )
                .where(
                    SubmissionRecord.course_id == key.course_id,
                    SubmissionRecord.item_id == key.item_id,
                )
            )
            query = _filter_status(query, status)
            if confidence_below is not None:
                query = query.where(_low_confidence(confidence_below))
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(
                query.order_by(SubmissionRecord.id).offset(offset).limit(limit)
            ).all()
            assessments = assessments_of_submissions(session, [s.uuid for s, _ in rows])
            summaries: list[SubmissionSummary] = []
            for s, w in rows:
                current = current_assessment_json(assessments[s.uuid])
                summaries.append(
                    {
                        "submission_uuid": s.uuid,
                        "student_id": s.student_id,
                        "external_id": s.external_id,
                        "created_at": stamp(s.created_at),
                        "status": grading_workflow_json(w)["status"],
                        "grading_workflow_uuid": w.uuid,
                        "assessment": current,
                        "review_status": submission_review_status(assessments[s.uuid]),
                        "current_assessment_type": _type_of(current),
                    }
                )
            return {
                "submissions": summaries,
                "total": total,
                "offset": offset,
                "limit": limit,
            }

    def get_workflow_statuses(
        self,
        workflow_uuids: Sequence[str],
        *,
        task_type: str = "grade",
        course_ids: Sequence[str] | None = None,
    ) -> dict[str, str]:
        """``{uuid: status}`` for many workflows of one type at once; unknown ids are left out.

        Args:
            course_ids: Leave out workflows of other courses too.

        Raises:
            RequestError: ``grading_invalid``; unknown task type or too many ids.
        """
        if task_type not in ("train", "grade"):
            raise RequestError(
                f"unknown task type {task_type!r}; use train or grade",
                field="task_type",
                code="grading_invalid",
            )
        if len(workflow_uuids) > MAX_BATCH_SUBMISSIONS:
            raise RequestError(
                f"at most {MAX_BATCH_SUBMISSIONS:,} ids per request",
                field="workflow_uuids",
                code="grading_invalid",
            )
        if isinstance(workflow_uuids, str | bytes):
            raise RequestError(
                "must be a list of ids", field="workflow_uuids", code="grading_invalid"
            )
        workflow_uuids = [
            require_id(u, f"workflow_uuids[{i}]", "grading_invalid")
            for i, u in enumerate(workflow_uuids)
        ]
        model: Any = GradingWorkflowRecord if task_type == "grade" else TrainingWorkflowRecord
        serialise = grading_workflow_json if task_type == "grade" else training_workflow_json
        scope = [] if course_ids is None else [model.course_id.in_(list(course_ids))]
        statuses: dict[str, str] = {}
        with (
            internal_errors("grading_internal_error", "reading workflow statuses"),
            self.database.transaction(read_only=True) as session,
        ):
            for start in range(0, len(workflow_uuids), 500):
                chunk = list(workflow_uuids[start : start + 500])
                for workflow in session.scalars(select(model).where(model.uuid.in_(chunk), *scope)):
                    statuses[workflow.uuid] = serialise(workflow)["status"]
        return statuses


def _latest_workflow(session: Session, submission_uuid: str) -> GradingWorkflowRecord | None:
    return session.scalar(
        select(GradingWorkflowRecord)
        .where(GradingWorkflowRecord.submission_uuid == submission_uuid)
        .order_by(GradingWorkflowRecord.created_at.desc())
        .limit(1)
    )


def _type_of(assessment: AssessmentOut | None) -> Literal["ai", "staff"] | None:
    if assessment is None:
        return None
    return "staff" if assessment["type"] == ASSESSMENT_TYPE_STAFF else "ai"


def _low_confidence(threshold: Any) -> Any:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0.0 <= threshold <= 1.0
    ):
        raise RequestError(
            "must be a number from 0 to 1", field="confidence_below", code="grading_invalid"
        )
    parts = (
        select(AssessmentPartRecord.id)
        .join(AssessmentRecord, AssessmentRecord.uuid == AssessmentPartRecord.assessment_uuid)
        .where(
            AssessmentRecord.grading_workflow_uuid == GradingWorkflowRecord.uuid,
            AssessmentPartRecord.confidence < threshold,
        )
    )
    return parts.exists()


def _filter_status(query: Any, status: str | None) -> Any:
    if status is None:
        return query
    try:
        wanted = WorkflowStatus(status)
    except ValueError:
        raise RequestError(
            f"unknown status {status!r}; use waiting, scheduled, failed or complete",
            field="status",
            code="grading_invalid",
        ) from None
    return query.where(has_status(GradingWorkflowRecord, wanted))
