"""Submissions, assessments and grading workflows over HTTP."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from essaygrader.api.base import MAX_BATCH_SUBMISSIONS
from essaygrader.domain.validation import MAX_ID_CHARS
from essaygrader.web.schemas.common import (
    PageFields,
    RequestModel,
    ResponseModel,
    WorkflowStatus,
)

_TEXT = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
    "additionalProperties": False,
}
# The Python API checks an answer's shape and names the part at fault
# (``answer.parts[2]``); here the schema only documents the shapes.
Answer = Annotated[
    Any,
    WithJsonSchema(
        {
            "description": 'The essay: a string, {"text": ...}, or {"parts": [...]} '
            "whose parts (strings or {text} objects) are joined by newlines.",
            "oneOf": [
                {"type": "string"},
                _TEXT,
                {
                    "type": "object",
                    "properties": {
                        "parts": {
                            "type": "array",
                            "items": {"oneOf": [{"type": "string"}, _TEXT]},
                        }
                    },
                    "required": ["parts"],
                    "additionalProperties": False,
                },
            ],
        }
    ),
]


class SubmissionIn(RequestModel):
    student_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    answer: Answer
    external_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)


class SubmissionBatch(RequestModel):
    submissions: list[SubmissionIn] = Field(min_length=1, max_length=MAX_BATCH_SUBMISSIONS)


class WorkflowStatusesRequest(RequestModel):
    workflow_uuids: list[str] = Field(max_length=MAX_BATCH_SUBMISSIONS)
    task_type: Literal["train", "grade"] = "grade"


class Submitted(ResponseModel):
    submission_uuid: str
    grading_workflow_uuid: str
    status: Literal["scheduled", "waiting"]


class AssessmentPartOut(ResponseModel):
    criterion: str
    option: str
    points: int
    confidence: float


class AssessmentOut(ResponseModel):
    uuid: str
    type: str
    submission_uuid: str
    grading_workflow_uuid: str
    classifier_set_uuid: str
    scorer_id: str
    scored_at: str
    points_earned: int
    points_possible: int
    parts: list[AssessmentPartOut]


class GradingWorkflowOut(ResponseModel):
    uuid: str
    type: Literal["grade"]
    status: WorkflowStatus
    submission_uuid: str
    course_id: str
    item_id: str
    classifier_set_uuid: str | None
    assessment_uuid: str | None
    created_at: str
    scheduled_at: str | None
    started_at: str | None
    completed_at: str | None
    failed_at: str | None
    attempts: int
    last_error: str | None


class SubmissionOut(ResponseModel):
    uuid: str
    course_id: str
    item_id: str
    student_id: str
    external_id: str | None
    answer: Any = Field(description="As submitted: a string, {text} or {parts}.")
    text: str
    created_at: str
    grading_workflow: GradingWorkflowOut | None
    assessment: AssessmentOut | None


class SubmissionSummary(ResponseModel):
    submission_uuid: str
    student_id: str
    external_id: str | None
    created_at: str
    status: WorkflowStatus
    grading_workflow_uuid: str
    assessment: AssessmentOut | None


class SubmissionsPage(PageFields):
    submissions: list[SubmissionSummary]
