"""Items and rubrics over HTTP, in the Python API's JSON shapes."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from essaygrader.api.items import MAX_PROMPT_CHARS
from essaygrader.contract import ReviewPolicyName
from essaygrader.domain.rubric import (
    MAX_CRITERIA,
    MAX_NAME_CHARS,
    MAX_OPTIONS,
    MAX_POINTS,
    MAX_PROSE_CHARS,
)
from essaygrader.domain.validation import MAX_ID_CHARS
from essaygrader.web.schemas.common import RequestModel


class OptionIn(RequestModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    points: int = Field(ge=0, le=MAX_POINTS, description="Unique within the criterion.")
    explanation: str = Field(default="", max_length=MAX_PROSE_CHARS)


class CriterionIn(RequestModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    prompt: str = Field(default="", max_length=MAX_PROSE_CHARS)
    options: list[OptionIn] = Field(
        default_factory=list,
        max_length=MAX_OPTIONS,
        description="Two or more; none makes the criterion feedback-only (never scored).",
    )


class RubricIn(RequestModel):
    criteria: list[CriterionIn] = Field(min_length=1, max_length=MAX_CRITERIA)


class ItemCreate(RequestModel):
    item_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    rubric: RubricIn
    prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    algorithm_id: str | None = Field(
        default=None, description="The algorithm to train with; null means the default."
    )
    published: bool = False
    min_qwk: float | None = Field(
        default=None,
        ge=-1.0,
        le=1.0,
        description="Training fails its quality gate below this cross-validated QWK.",
    )
    review_policy: ReviewPolicyName = Field(
        default="none",
        description="Which AI grades are held for staff review: none, flagged (an advisory "
        "flag, or a criterion below review_confidence_below) or all.",
    )
    review_confidence_below: float = Field(default=0.5, ge=0.0, le=1.0)


class ItemUpdate(RequestModel):
    """Fields left out stay as they are."""

    rubric: RubricIn | SkipJsonSchema[None] = None
    prompt: str | SkipJsonSchema[None] = Field(default=None, max_length=MAX_PROMPT_CHARS)
    algorithm_id: str | None = None
    published: bool | SkipJsonSchema[None] = None
    min_qwk: float | None = Field(default=None, ge=-1.0, le=1.0)
    review_policy: ReviewPolicyName | SkipJsonSchema[None] = None
    review_confidence_below: float | SkipJsonSchema[None] = Field(default=None, ge=0.0, le=1.0)

    @field_validator("prompt", mode="before")
    @classmethod
    def _prompt_is_text(cls, value: Any) -> Any:
        # The document allows text only. Without this, null would reach the length
        # limit, which cannot measure it (a 500); refused here, it is a 422 naming it.
        if value is None:
            raise ValueError('must be text: send "" for no prompt, or leave it out')
        return value
