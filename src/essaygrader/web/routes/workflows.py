"""Grading workflows, and the status of many workflows at once."""

from __future__ import annotations

from fastapi import APIRouter

from essaygrader.contract import GradingWorkflowOut
from essaygrader.contract import WorkflowStatusName as WorkflowStatus
from essaygrader.domain.access import Permission
from essaygrader.errors import NotFoundError
from essaygrader.web.access import (
    AssessmentReader,
    check_permission,
    hide_foreign,
    readable_workflow,
)
from essaygrader.web.deps import APIDep, PrincipalDep
from essaygrader.web.schemas.grading import WorkflowStatusesRequest

router = APIRouter(tags=["workflows"])


@router.get(
    "/workflows/grading/{workflow_uuid}",
    response_model=GradingWorkflowOut,
    summary="Get a grading workflow",
)
def get_grading_workflow(
    principal: AssessmentReader, workflow_uuid: str, api: APIDep
) -> GradingWorkflowOut:
    """A grading workflow's status, attempts and last error."""
    workflow = api.get_grading_workflow(workflow_uuid)
    hide_foreign(
        principal,
        workflow["course_id"],
        NotFoundError(
            f"no grading workflow {workflow_uuid!r}",
            field="workflow_uuid",
            code="grading_workflow_not_found",
        ),
    )
    return readable_workflow(principal, workflow)


@router.post(
    "/workflows/statuses",
    response_model=dict[str, WorkflowStatus],
    summary="Statuses of many workflows",
)
def get_workflow_statuses(
    principal: PrincipalDep, body: WorkflowStatusesRequest, api: APIDep
) -> dict[str, str]:
    """``{uuid: status}`` for workflows of one type; unknown ids (and those of courses the
    token does not reach) are left out."""
    check_permission(
        principal,
        Permission.READ_ASSESSMENTS if body.task_type == "grade" else Permission.READ_TRAINING,
    )
    return api.get_workflow_statuses(
        body.workflow_uuids, task_type=body.task_type, course_ids=principal.course_scope
    )
