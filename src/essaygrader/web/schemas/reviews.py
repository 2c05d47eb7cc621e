"""Staff assessments and review over HTTP."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from essaygrader.domain.assessment import MAX_FEEDBACK_CHARS
from essaygrader.web.schemas.common import RequestModel


class StaffAssessmentIn(RequestModel):
    options_selected: dict[str, str] = Field(
        description="For every scored criterion, the name of the option chosen."
    )
    feedback: dict[str, str] = Field(
        default_factory=dict,
        description="Feedback text by criterion; feedback-only criteria included.",
    )
    overall_feedback: str = Field(default="", max_length=MAX_FEEDBACK_CHARS)


class ReviewIn(RequestModel):
    action: Literal["confirm"] = Field(
        description="confirm releases the held AI assessment; to change the grade, record "
        "a staff assessment instead."
    )
