"""Submissions, assessments and grading workflows over HTTP."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from essaygrader.api.base import MAX_BATCH_SUBMISSIONS
from essaygrader.domain.validation import MAX_ID_CHARS
from essaygrader.web.schemas.common import (
    RequestModel,
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
    text: str | None = Field(
        default=None,
        description="The essay, as plain text. Give `text` or `answer` (its older name, "
        "which also takes the {text} and {parts} shapes), not both.",
    )
    answer: Answer = None
    external_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)


class SubmissionBatch(RequestModel):
    submissions: list[SubmissionIn] = Field(min_length=1, max_length=MAX_BATCH_SUBMISSIONS)


class WorkflowStatusesRequest(RequestModel):
    workflow_uuids: list[str] = Field(max_length=MAX_BATCH_SUBMISSIONS)
    task_type: Literal["train", "grade"] = "grade"
