"""AI assessments: the option, points and confidence chosen for each scored criterion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ASSESSMENT_TYPE_AI = "ai"


@dataclass(frozen=True)
class AssessmentPart:
    criterion: str
    option: str
    points: int
    confidence: float


@dataclass(frozen=True)
class Assessment:
    """An immutable, timestamped AI assessment of one submission."""

    uuid: str
    submission_uuid: str
    grading_workflow_uuid: str
    classifier_set_uuid: str
    scorer_id: str
    scored_at: datetime
    parts: tuple[AssessmentPart, ...]
    points_possible: int
    type: str = ASSESSMENT_TYPE_AI

    @property
    def points_earned(self) -> int:
        return sum(part.points for part in self.parts)
