"""Assessments: the option, points and confidence chosen for each scored criterion.

An AI assessment is written by grading; a staff assessment by a person of the course
team. Both are immutable and timestamped. What changes is only whether a held AI
assessment has been confirmed (``review_status``), see :func:`review_status_at_grading`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from essaygrader.domain.rubric import Rubric
from essaygrader.domain.validation import require_mapping, require_text
from essaygrader.errors import RequestError

ASSESSMENT_TYPE_AI = "ai"
ASSESSMENT_TYPE_STAFF = "staff"
DEFAULT_REVIEW_CONFIDENCE_BELOW = 0.5


class ReviewStatus(StrEnum):
    """Where an assessment stands with respect to review.

    ``released``: visible at once (every staff assessment; an AI one the item's policy
    did not hold). ``pending``: an AI assessment held for review, seen by staff only.
    ``confirmed``: a held AI assessment that staff confirmed, visible since.
    """

    RELEASED = "released"
    PENDING = "pending"
    CONFIRMED = "confirmed"

    @property
    def visible(self) -> bool:
        """Whether platforms may see an assessment in this state."""
        return self is not ReviewStatus.PENDING


class ReviewPolicy(StrEnum):
    """Which AI assessments of an item are held for review before release."""

    NONE = "none"
    FLAGGED = "flagged"
    ALL = "all"


def parse_review_policy(value: Any, field: str = "review_policy") -> ReviewPolicy:
    """A review policy by name.

    Raises:
        RequestError: ``item_invalid``; not one of none, flagged, all.
    """
    try:
        return ReviewPolicy(value)
    except ValueError as exc:
        raise RequestError(
            f"unknown review policy {value!r}; use none, flagged or all",
            field=field,
            code="item_invalid",
        ) from exc


def review_status_at_grading(
    policy: str,
    confidence_below: float,
    flags: Iterable[Mapping[str, str]],
    confidences: Iterable[float],
) -> ReviewStatus:
    """Whether a new AI assessment is released at once or held for review.

    ``all`` holds every one; ``flagged`` holds one with any advisory flag, or with a
    criterion scored at a confidence below ``confidence_below``; ``none`` holds none.
    """
    if policy == ReviewPolicy.ALL:
        return ReviewStatus.PENDING
    if policy == ReviewPolicy.FLAGGED and (
        any(True for _ in flags) or any(c < confidence_below for c in confidences)
    ):
        return ReviewStatus.PENDING
    return ReviewStatus.RELEASED


@dataclass(frozen=True)
class AssessmentPart:
    criterion: str
    option: str
    points: int
    confidence: float


@dataclass(frozen=True)
class Assessment:
    """An immutable, timestamped assessment of one submission, by AI or by staff.

    Staff assessments have no grading workflow or classifier set; their confidence is 1.
    """

    uuid: str
    submission_uuid: str
    grading_workflow_uuid: str | None
    classifier_set_uuid: str | None
    scorer_id: str
    scored_at: datetime
    parts: tuple[AssessmentPart, ...]
    points_possible: int
    type: str = ASSESSMENT_TYPE_AI
    feedback: dict[str, str] = field(default_factory=dict)
    overall_feedback: str = ""
    flags: tuple[dict[str, str], ...] = ()
    review_status: str = ReviewStatus.RELEASED.value

    @property
    def points_earned(self) -> int:
        return sum(part.points for part in self.parts)


MAX_FEEDBACK_CHARS = 20_000


@dataclass(frozen=True)
class StaffGrade:
    """A person's grade of an essay, checked against the rubric."""

    parts: tuple[AssessmentPart, ...]
    feedback: dict[str, str]
    overall_feedback: str


def parse_staff_grade(
    rubric: Rubric, options_selected: Any, feedback: Any, overall_feedback: Any
) -> StaffGrade:
    """Check a staff grade: an option for every scored criterion, feedback for any.

    Raises:
        RequestError: ``assessment_invalid``; naming the field, e.g.
            ``options_selected.ideas`` or ``feedback.style``.
    """
    code = "assessment_invalid"
    selected = require_mapping(options_selected, "options_selected", code)
    for name in selected:
        criterion = rubric.criterion(str(name))
        if criterion is None:
            raise RequestError(
                f"unknown criterion {name!r}; the rubric's criteria are "
                f"{', '.join(c.name for c in rubric.criteria)}",
                field=f"options_selected.{name}",
                code=code,
            )
        if not criterion.is_scored:
            raise RequestError(
                f"criterion {name!r} is feedback-only: it has no options; give feedback instead",
                field=f"options_selected.{name}",
                code=code,
            )
    parts = []
    for criterion in rubric.scored_criteria:
        field = f"options_selected.{criterion.name}"
        if criterion.name not in selected:
            raise RequestError(
                f"no option selected for criterion {criterion.name!r}; choose one of "
                f"{', '.join(o.name for o in criterion.options)}",
                field=field,
                code=code,
            )
        name = require_text(selected[criterion.name], field, code, max_chars=200)
        option = criterion.option_named(name)
        if option is None:
            raise RequestError(
                f"unknown option {name!r}; criterion {criterion.name!r} has options "
                f"{', '.join(o.name for o in criterion.options)}",
                field=field,
                code=code,
            )
        parts.append(AssessmentPart(criterion.name, option.name, option.points, 1.0))
    texts: dict[str, str] = {}
    for name, text in require_mapping(
        {} if feedback is None else feedback, "feedback", code
    ).items():
        field = f"feedback.{name}"
        if rubric.criterion(str(name)) is None:
            raise RequestError(
                f"unknown criterion {name!r}; the rubric's criteria are "
                f"{', '.join(c.name for c in rubric.criteria)}",
                field=field,
                code=code,
            )
        text = require_text(text, field, code, max_chars=MAX_FEEDBACK_CHARS, allow_empty=True)
        if text.strip():
            texts[str(name)] = text
    overall = require_text(
        overall_feedback, "overall_feedback", code, max_chars=MAX_FEEDBACK_CHARS, allow_empty=True
    )
    return StaffGrade(tuple(parts), texts, overall)
