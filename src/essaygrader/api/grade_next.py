"""What to grade next: the ungraded submissions whose staff grades teach the model most.

The choosing is :mod:`essaygrader.algorithms.grade_next`'s; this module reads what it
needs (the item's ungraded submissions, their latest AI scores, the examples the current
classifier set learned from, staff grades since) and shapes the answer.
"""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from essaygrader.algorithms.grade_next import (
    Prediction,
    coverage,
    mixed_sample,
    random_sample,
)
from essaygrader.api.base import APIBase
from essaygrader.api.records import current_classifier_set, find_item, internal_errors
from essaygrader.contract import GradeNextOut
from essaygrader.db.models import (
    AssessmentPartRecord,
    AssessmentRecord,
    ClassifierSetRecord,
    SubmissionRecord,
    TrainingExampleRecord,
)
from essaygrader.domain.assessment import ASSESSMENT_TYPE_AI
from essaygrader.domain.item import ItemKey
from essaygrader.domain.rubric import Rubric
from essaygrader.errors import RequestError

MAX_GRADE_NEXT = 100
# Choosing reads every candidate's predictions; beyond this many, a fixed sample of them.
MAX_CANDIDATES = 5000
# Ids per IN (...) list: well under every database's limit on bound parameters.
_CHUNK = 500
# The assessment type of a staff grade, as staff assessments record it.
ASSESSMENT_TYPE_STAFF = "staff"


def staff_graded(key: ItemKey) -> Select[str]:
    """The uuids of the item's submissions that staff have graded.

    The one place that says what "graded by staff" means: the submission has an
    assessment of type ``staff``.
    """
    return (
        select(AssessmentRecord.submission_uuid)
        .join(SubmissionRecord, SubmissionRecord.uuid == AssessmentRecord.submission_uuid)
        .where(
            SubmissionRecord.course_id == key.course_id,
            SubmissionRecord.item_id == key.item_id,
            AssessmentRecord.score_type == ASSESSMENT_TYPE_STAFF,
        )
    )


class GradeNextAPI(APIBase):
    def grade_next(self, course_id: str, item_id: str, *, limit: int = 10) -> GradeNextOut:
        """Submissions not yet graded by staff, chosen to teach the model most.

        Before the item has a classifier set, a random sample (seeded by the item, so
        the queue stays put), which represents the variety of the essays; afterwards,
        half of them at random, so that the grades keep the essays' mix of scores, and
        half spread evenly over the predicted scores, the rare and extreme ones included
        (seeded by the item too). On ASAP both did at least as well as the
        alternatives measured (README, "What to grade next"). Also, per scored criterion,
        the examples per option and the option that most wants more.

        Args:
            limit: How many submissions, 1 to :data:`MAX_GRADE_NEXT`.

        Returns:
            ``{"submissions": [{"submission_uuid", "reason"}], "strategy",
            "classifier_set_uuid", "ungraded", "coverage"}``.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
            RequestError: ``grading_invalid``; ``limit`` out of range.
        """
        key = ItemKey.parse(course_id, item_id)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_GRADE_NEXT
        ):
            raise RequestError(
                f"must be an integer from 1 to {MAX_GRADE_NEXT}",
                field="limit",
                code="grading_invalid",
            )
        with (
            internal_errors("grading_internal_error", f"choosing what to grade next in {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            item = find_item(session, key)
            rubric = item.rubric
            current = current_classifier_set(
                session, key.course_id, key.item_id, rubric.structure_hash
            )
            rubric_value = Rubric.from_dict(rubric.definition)
            candidates = session.scalars(
                select(SubmissionRecord.uuid)
                .where(
                    SubmissionRecord.course_id == key.course_id,
                    SubmissionRecord.item_id == key.item_id,
                    SubmissionRecord.uuid.not_in(staff_graded(key)),
                )
                .order_by(SubmissionRecord.id)
            ).all()
            ungraded = len(candidates)
            if len(candidates) > MAX_CANDIDATES:
                candidates = random.Random(str(key)).sample(candidates, MAX_CANDIDATES)
            examples = _examples_per_points(session, key, rubric_value, current)
            if current is None:
                chosen = random_sample(len(candidates), limit, seed=str(key))
            else:
                predictions = _predictions(session, list(candidates))
                chosen = mixed_sample(
                    [predictions.get(uuid) for uuid in candidates], limit, seed=str(key)
                )
            criteria = {
                c.name: [(o.name, o.points) for o in c.options]
                for c in rubric_value.scored_criteria
            }
            return {
                "submissions": [
                    {"submission_uuid": candidates[c.index], "reason": c.reason} for c in chosen
                ],
                "strategy": "variety" if current is None else "uncertainty",
                "classifier_set_uuid": current.uuid if current is not None else None,
                "ungraded": ungraded,
                "coverage": [
                    {
                        "criterion": c.criterion,
                        "options": [
                            {
                                "option": o.option,
                                "points": o.points,
                                "examples": o.examples,
                                "wanted": o.wanted,
                            }
                            for o in c.options
                        ],
                        "advice": c.advice,
                    }
                    for c in coverage(criteria, examples)
                ],
            }


def _predictions(session: Session, uuids: list[str]) -> dict[str, Prediction]:
    """The newest AI assessment's points and confidence per submission."""
    newest: dict[str, str] = {}
    for start in range(0, len(uuids), _CHUNK):
        rows = session.execute(
            select(AssessmentRecord.submission_uuid, AssessmentRecord.uuid)
            .where(
                AssessmentRecord.submission_uuid.in_(uuids[start : start + _CHUNK]),
                AssessmentRecord.score_type == ASSESSMENT_TYPE_AI,
            )
            .order_by(AssessmentRecord.scored_at, AssessmentRecord.uuid)
        )
        for submission, assessment in rows:  # oldest first: the newest stays
            newest[submission] = assessment
    submission_of = {assessment: submission for submission, assessment in newest.items()}
    points: dict[str, dict[str, int]] = {}
    confidence: dict[str, dict[str, float]] = {}
    assessments = list(submission_of)
    for start in range(0, len(assessments), _CHUNK):
        for assessment, criterion, earned, sure in session.execute(
            select(
                AssessmentPartRecord.assessment_uuid,
                AssessmentPartRecord.criterion,
                AssessmentPartRecord.points,
                AssessmentPartRecord.confidence,
            ).where(AssessmentPartRecord.assessment_uuid.in_(assessments[start : start + _CHUNK]))
        ):
            submission = submission_of[assessment]
            points.setdefault(submission, {})[criterion] = earned
            confidence.setdefault(submission, {})[criterion] = sure
    return {uuid: Prediction(points[uuid], confidence[uuid]) for uuid in points}


def _examples_per_points(
    session: Session, key: ItemKey, rubric: Rubric, current: ClassifierSetRecord | None
) -> dict[str, dict[int, int]]:
    """Per scored criterion, examples per point value: those the current classifier set
    was trained on, plus staff grades recorded since."""
    counts: dict[str, Counter[int]] = {c.name: Counter() for c in rubric.scored_criteria}
    if current is not None:
        for selected in session.scalars(
            select(TrainingExampleRecord.options_selected).where(
                TrainingExampleRecord.workflow_uuid == current.training_workflow_uuid
            )
        ):
            for criterion in rubric.scored_criteria:
                option = criterion.option_named(str(selected.get(criterion.name, "")))
                if option is not None:
                    counts[criterion.name][option.points] += 1
    staff = (
        select(AssessmentPartRecord.criterion, AssessmentPartRecord.points)
        .join(AssessmentRecord, AssessmentRecord.uuid == AssessmentPartRecord.assessment_uuid)
        .where(AssessmentRecord.submission_uuid.in_(staff_graded(key)))
        .where(AssessmentRecord.score_type == ASSESSMENT_TYPE_STAFF)
    )
    if current is not None:
        staff = staff.where(AssessmentRecord.scored_at > current.created_at)
    for criterion_name, points in session.execute(staff):
        if criterion_name in counts:
            counts[criterion_name][points] += 1
    return {name: dict(c) for name, c in counts.items()}
