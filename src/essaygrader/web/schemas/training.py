"""Training, training workflows and classifier sets over HTTP."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from essaygrader.domain.training import MAX_EXAMPLES
from essaygrader.web.schemas.common import (
    RequestModel,
)
from essaygrader.web.schemas.grading import Answer


class ExampleIn(RequestModel):
    text: Answer
    options_selected: dict[str, str] = Field(
        description="For each scored criterion, the name of the option a grader selected."
    )


class TrainingRequest(RequestModel):
    examples: list[ExampleIn] = Field(
        default_factory=list,
        max_length=MAX_EXAMPLES,
        description="Graded examples; may be left out with from_graded_submissions.",
    )
    from_graded_submissions: bool = Field(
        default=False,
        description="Also train on the item's staff-graded submissions (each with the "
        "options of its newest staff assessment).",
    )
    algorithm_id: str | None = Field(
        default=None, description="Overrides the item's algorithm for this training."
    )


class ExamplesCheckRequest(RequestModel):
    """Examples are checked one by one, so their shape is not enforced here."""

    examples: list[Any] = Field(max_length=MAX_EXAMPLES)
