"""Erasing a student's data over HTTP."""

from __future__ import annotations

from pydantic import Field

from essaygrader.domain.validation import MAX_ID_CHARS
from essaygrader.web.schemas.common import RequestModel


class ErasureRequest(RequestModel):
    student_id: str = Field(
        min_length=1,
        max_length=MAX_ID_CHARS,
        description="The student whose submissions and assessments in the course go.",
    )
