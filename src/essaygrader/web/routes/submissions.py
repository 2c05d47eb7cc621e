"""Submissions and their assessments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from essaygrader.contract import AssessmentOut, SubmissionOut, SubmissionsPage, Submitted
from essaygrader.contract import WorkflowStatusName as WorkflowStatus
from essaygrader.domain.access import Principal
from essaygrader.errors import NotFoundError
from essaygrader.web.access import (
    AssessmentReader,
    ItemSubmitter,
    ResultsReader,
    hide_foreign,
    readable_workflow,
)
from essaygrader.web.deps import APIDep
from essaygrader.web.schemas.common import IdempotencyKey, Limit, Offset
from essaygrader.web.schemas.grading import SubmissionBatch, SubmissionIn

router = APIRouter(tags=["submissions"])

ITEM = "/courses/{course_id}/items/{item_id}"


@router.post(
    f"{ITEM}/submissions", status_code=201, response_model=Submitted, summary="Submit an essay"
)
def submit(
    item: ItemSubmitter,
    body: SubmissionIn,
    api: APIDep,
    idempotency_key: IdempotencyKey = None,
) -> Submitted:
    """Store an essay and start grading it; before training it waits for classifiers."""
    return api.submit(
        item.course_id,
        item.item_id,
        body.student_id,
        body.answer,
        external_id=body.external_id,
        text=body.text,
        idempotency_key=idempotency_key,
        idempotency_owner=item.principal.token_uuid,
    )


@router.post(
    f"{ITEM}/submissions/batch",
    status_code=201,
    response_model=list[Submitted],
    summary="Submit many essays",
)
def submit_many(
    item: ItemSubmitter,
    body: SubmissionBatch,
    api: APIDep,
    idempotency_key: IdempotencyKey = None,
) -> list[Submitted]:
    """Store several essays in one transaction: all of them, or none on an error."""
    return api.submit_many(
        item.course_id,
        item.item_id,
        [s.model_dump(exclude_none=True) for s in body.submissions],
        idempotency_key=idempotency_key,
        idempotency_owner=item.principal.token_uuid,
    )


@router.get(f"{ITEM}/submissions", response_model=SubmissionsPage, summary="List submissions")
def list_submissions(
    item: ResultsReader,
    api: APIDep,
    offset: Offset = 0,
    limit: Limit = 100,
    status: Annotated[WorkflowStatus | None, Query(description="Only this status.")] = None,
    confidence_below: Annotated[
        float | None,
        Query(ge=0.0, le=1.0, description="Only those with a criterion scored less surely."),
    ] = None,
) -> SubmissionsPage:
    """The item's submissions, oldest first, with status and latest assessment."""
    return api.list_submissions(
        item.course_id,
        item.item_id,
        offset=offset,
        limit=limit,
        status=status,
        confidence_below=confidence_below,
    )


def _submission(principal: Principal, api: APIDep, submission_uuid: str) -> SubmissionOut:
    submission = api.get_submission(submission_uuid)
    hide_foreign(
        principal,
        submission["course_id"],
        NotFoundError(
            f"no submission {submission_uuid!r}",
            field="submission_uuid",
            code="submission_not_found",
        ),
    )
    if submission["grading_workflow"] is not None:
        readable_workflow(principal, submission["grading_workflow"])
    return submission


@router.get(
    "/submissions/{submission_uuid}", response_model=SubmissionOut, summary="Get a submission"
)
def get_submission(principal: AssessmentReader, submission_uuid: str, api: APIDep) -> SubmissionOut:
    """A submission, its grading workflow, its current assessment (null until graded or
    while held for review) and its review status."""
    return _submission(principal, api, submission_uuid)


@router.get(
    "/submissions/{submission_uuid}/assessment",
    response_model=AssessmentOut | None,
    summary="The current assessment",
)
def get_latest_assessment(
    principal: AssessmentReader, submission_uuid: str, api: APIDep
) -> AssessmentOut | None:
    """The submission's current assessment, with its ``type``: the newest staff assessment,
    else the newest released AI one; null while ungraded or held for review."""
    return _submission(principal, api, submission_uuid)["assessment"]


@router.get(
    "/submissions/{submission_uuid}/scores",
    response_model=dict[str, int],
    summary="Points by criterion",
)
def get_assessment_scores_by_criteria(
    principal: AssessmentReader, submission_uuid: str, api: APIDep
) -> dict[str, int]:
    """``{criterion: points}`` of the current assessment; empty without one."""
    _submission(principal, api, submission_uuid)
    return api.get_assessment_scores_by_criteria(submission_uuid)
