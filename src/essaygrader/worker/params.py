"""What the worker API hands the training and grading procedures, and what they hand back.

Plain frozen dataclasses, so that mypy checks every field a procedure reads and every
result it records. They carry ids, texts and blob references, never database records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from essaygrader.algorithms.flags import ItemProfile
from essaygrader.algorithms.flags.text import SignatureIndex


@dataclass(frozen=True)
class StoredClassifier:
    """Where a trained classifier's bytes are, and what they must be.

    Attributes:
        blob_key: Its key in the blob store.
        sha256: The checksum the bytes must have.
        size_bytes: Their length.
        format_version: The algorithm's model format the bytes hold.
    """

    blob_key: str
    sha256: str
    size_bytes: int
    format_version: int


# Grading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassifierSetSpec:
    """A classifier set, as grading needs it.

    Attributes:
        uuid: The set's id.
        algorithm_id: The algorithm that trained it (and loads it).
        classifiers: The stored classifier of each scored criterion.
        valid_points: The point values each scored criterion allows.
        profile: The item profile the advisory flags use; None for a set trained before
            profiles existed, or whose stored profile could not be loaded.
    """

    uuid: str
    algorithm_id: str
    classifiers: dict[str, StoredClassifier]
    valid_points: dict[str, tuple[int, ...]]
    profile: ItemProfile | None = None


@dataclass(frozen=True)
class EssayToGrade:
    """One grading workflow whose attempt has begun.

    Attributes:
        workflow_uuid: The grading workflow.
        text: The essay.
        classifier_set_uuid: The set to score it with.
        submission_uuid: Its submission.
        submission_id: The submission's place in arrival order (its integer key).
        student_id: The submission's student.
        item: ``(course_id, item_id)`` of the submission.
        signature: The essay's MinHash signature.
    """

    workflow_uuid: str
    text: str
    classifier_set_uuid: str
    submission_uuid: str = ""
    submission_id: int = 0
    student_id: str = ""
    item: tuple[str, str] = ("", "")
    signature: NDArray[np.uint32] | None = None


@dataclass(frozen=True)
class GradingBatch:
    """What a grading task has to do: the essays begun, and the sets that score them.

    Attributes:
        essays: Workflows whose attempt was recorded, in the order they were asked for.
        classifier_sets: Each set those essays name, by uuid.
        skipped: Workflows with nothing to do now, each with the reason (complete,
            failed, gave up, waiting for classifiers, unknown).
        signatures: The submission signatures of each item the essays belong to, by
            ``(course_id, item_id)``: every one the database held when the batch began
            (essays compare only with those that arrived before them).
    """

    essays: list[EssayToGrade]
    classifier_sets: dict[str, ClassifierSetSpec]
    skipped: dict[str, str] = field(default_factory=dict)
    signatures: dict[tuple[str, str], SignatureIndex] = field(default_factory=dict)


@dataclass(frozen=True)
class CriterionScore:
    """A criterion's score: one of its valid point values, and a confidence in [0, 1]."""

    points: int
    confidence: float


@dataclass(frozen=True)
class GradingResult:
    """What became of one essay: its scores, or the error that fails its workflow alone.

    Attributes:
        workflow_uuid: The grading workflow.
        classifier_set_uuid: The set that scored it.
        scores: Every scored criterion's score; None when scoring failed.
        error: Why scoring failed; None when it succeeded.
        flags: Advisory flags on the essay, ``{"code", "message"}`` each; kept with the
            assessment, and under the item's review policy ``flagged`` they hold it for
            review.
    """

    workflow_uuid: str
    classifier_set_uuid: str
    scores: dict[str, CriterionScore] | None = None
    error: str | None = None
    flags: tuple[dict[str, str], ...] = ()


# Training ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionToTrain:
    """A scored criterion: its name and the point values its options are worth."""

    name: str
    valid_points: tuple[int, ...]


@dataclass(frozen=True)
class TrainingExample:
    """A graded example: its text and the points it earned on each scored criterion."""

    text: str
    scores: dict[str, int]


@dataclass(frozen=True)
class TrainingTask:
    """What a training task has to do.

    Attributes:
        workflow_uuid: The training workflow.
        course_id: The item's course.
        item_id: The item.
        algorithm_id: The algorithm to train.
        prompt: The item's prompt, which some algorithms use.
        min_qwk: The item's quality gate, if any.
        criteria: The scored criteria, in rubric order.
        examples: The graded examples, in the order they were given.
    """

    workflow_uuid: str
    course_id: str
    item_id: str
    algorithm_id: str
    prompt: str
    min_qwk: float | None
    criteria: list[CriterionToTrain]
    examples: list[TrainingExample]


TrainingMetrics = dict[str, Any]
"""Cross-validated quality of a training, as kept on the classifier set (JSON)."""
