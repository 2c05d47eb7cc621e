"""AI assessments: the option, points and confidence chosen for each scored criterion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ASSESSMENT_TYPE_AI = "ai"


@dataclass(frozen=True)
class AssessmentPart:
    criterion: str
    option: str
    points: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "option": self.option,
            "points": self.points,
            "confidence": self.confidence,
        }


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "type": self.type,
            "submission_uuid": self.submission_uuid,
            "grading_workflow_uuid": self.grading_workflow_uuid,
            "classifier_set_uuid": self.classifier_set_uuid,
            "scorer_id": self.scorer_id,
            "scored_at": self.scored_at.isoformat(),
            "points_earned": self.points_earned,
            "points_possible": self.points_possible,
            "parts": [part.to_dict() for part in self.parts],
        }
