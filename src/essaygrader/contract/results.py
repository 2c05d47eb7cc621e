"""What the client-side API returns, typed once.

The in-process API builds these, the HTTP routes declare them as their response models
(their names are the OpenAPI document's schema names), and :class:`HttpClient` returns
them, so mypy checks every key on both sides of the wire. Timestamps are ISO 8601 strings
in UTC; every value is JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

__all__ = [
    "AssessmentOut",
    "AssessmentPartOut",
    "AssessmentsList",
    "ClassifierOut",
    "ClassifierSetOut",
    "ClassifierSetsPage",
    "Confusion",
    "CourseOut",
    "CoursesPage",
    "CriterionCoverage",
    "CriterionOut",
    "CriterionQuality",
    "ExampleError",
    "ExamplesCheck",
    "FlagOut",
    "GradeNextOut",
    "GradeNextSubmission",
    "GradingWorkflowOut",
    "ItemOut",
    "ItemsPage",
    "OldestByType",
    "OldestUnfinished",
    "OptionCoverage",
    "OptionOut",
    "Page",
    "QualityMetrics",
    "Rescheduled",
    "ReviewOut",
    "ReviewPolicyName",
    "ReviewStatusName",
    "ReviewsPage",
    "RubricOut",
    "StatusOut",
    "SubmissionOut",
    "SubmissionReviewName",
    "SubmissionSummary",
    "SubmissionsPage",
    "Submitted",
    "TrainingStarted",
    "TrainingWorkflowOut",
    "TrainingWorkflowsPage",
    "WorkerOut",
    "WorkflowCounts",
    "WorkflowCountsByType",
    "WorkflowStatusName",
]

# Responses may gain fields in later versions: clients must let unknown ones through.
_open = with_config(ConfigDict(extra="allow"))

WorkflowStatusName = Literal["waiting", "scheduled", "failed", "complete"]
"""A workflow's status (``essaygrader.domain.workflow.WorkflowStatus``)."""

ReviewPolicyName = Literal["none", "flagged", "all"]
"""Which AI assessments of an item are held for review
(``essaygrader.domain.assessment.ReviewPolicy``)."""

ReviewStatusName = Literal["released", "pending", "confirmed"]
"""An assessment's review status (``essaygrader.domain.assessment.ReviewStatus``)."""

SubmissionReviewName = Literal["none", "pending", "released"]
"""A submission's review status: ``pending`` while its newest AI assessment is held and no
staff assessment exists, ``released`` while it has a current assessment, else ``none``."""


@_open
class Page(TypedDict):
    total: int
    offset: int
    limit: int


# Items -------------------------------------------------------------------------------


@_open
class OptionOut(TypedDict):
    name: str
    points: int
    explanation: str


@_open
class CriterionOut(TypedDict):
    name: str
    prompt: str
    options: list[OptionOut]


@_open
class RubricOut(TypedDict):
    criteria: list[CriterionOut]


@_open
class ItemOut(TypedDict):
    course_id: str
    item_id: str
    prompt: str
    rubric: RubricOut
    rubric_content_hash: str
    rubric_structure_hash: str
    algorithm_id: str | None
    published: bool
    min_qwk: float | None
    created_at: str
    updated_at: str
    warnings: list[str]
    review_policy: Annotated[
        ReviewPolicyName,
        Field(description="Which AI grades are held for staff review before release."),
    ]
    review_confidence_below: Annotated[
        float,
        Field(description="Under policy flagged, a criterion scored less surely is held."),
    ]
    staff_graded: Annotated[
        int, Field(description="Submissions of the item with a staff assessment.")
    ]
    corrections_since_training: Annotated[
        int,
        Field(description="Staff assessments recorded since the item's newest training began."),
    ]


@_open
class ItemsPage(Page):
    items: list[ItemOut]


@_open
class CourseOut(TypedDict):
    course_id: str
    items: int


@_open
class CoursesPage(Page):
    courses: list[CourseOut]


# Training ----------------------------------------------------------------------------


@_open
class TrainingStarted(TypedDict):
    training_workflow_uuid: str
    algorithm_id: str
    warnings: list[str]
    examples_uploaded: int
    examples_from_graded: Annotated[
        int, Field(description="Examples taken from staff-graded submissions.")
    ]


@_open
class ExampleError(TypedDict):
    index: Annotated[
        int | None, Field(description="The example's position; null for the whole set.")
    ]
    field: str
    message: str


@_open
class ExamplesCheck(TypedDict):
    valid: bool
    examples: int
    errors: list[ExampleError]
    warnings: list[str]


@_open
class TrainingWorkflowOut(TypedDict):
    uuid: str
    type: Literal["train"]
    status: WorkflowStatusName
    course_id: str
    item_id: str
    algorithm_id: str
    classifier_set_uuid: str | None
    created_at: str
    scheduled_at: str | None
    started_at: str | None
    completed_at: str | None
    failed_at: str | None
    attempts: int
    last_error: str | None
    criteria_done: int
    criteria_total: int
    examples_uploaded: int
    examples_from_graded: Annotated[
        int, Field(description="Examples taken from staff-graded submissions.")
    ]


@_open
class TrainingWorkflowsPage(Page):
    training_workflows: list[TrainingWorkflowOut]


@_open
class Confusion(TypedDict):
    labels: Annotated[list[int], Field(description="Point values, for both rows and columns.")]
    matrix: Annotated[list[list[int]], Field(description="Rows: human points; columns: predicted.")]


@_open
class CriterionQuality(TypedDict):
    qwk: float
    exact: float
    adjacent: float
    examples: int
    distribution: Annotated[dict[str, int], Field(description="Examples per point value.")]
    confusion: Confusion


@_open
class QualityMetrics(TypedDict):
    """Cross-validated quality of a classifier set, recorded by training."""

    folds: int
    mean_qwk: float
    min_qwk: float | None
    passed_quality_gate: bool
    criteria: dict[str, CriterionQuality]
    method: NotRequired[str]


@_open
class ClassifierOut(TypedDict):
    criterion: str
    sha256: str
    size_bytes: int
    format_version: int


@_open
class ClassifierSetOut(TypedDict):
    uuid: str
    course_id: str
    item_id: str
    algorithm_id: str
    created_at: str
    training_workflow_uuid: str
    rubric_content_hash: str
    rubric_structure_hash: str
    classifiers: list[ClassifierOut]
    metrics: Annotated[
        QualityMetrics | None,
        Field(description="Null when training recorded none (e.g. the fake algorithm)."),
    ]


@_open
class ClassifierSetsPage(Page):
    classifier_sets: list[ClassifierSetOut]
    current_uuid: Annotated[str | None, Field(description="The set that grades the item now.")]


# Submissions and assessments ---------------------------------------------------------


@_open
class Submitted(TypedDict):
    submission_uuid: str
    grading_workflow_uuid: str
    status: Literal["scheduled", "waiting"]


@_open
class AssessmentPartOut(TypedDict):
    criterion: str
    option: str
    points: int
    confidence: float


@_open
class FlagOut(TypedDict):
    """An advisory flag on an AI assessment: a stable code and a message for people."""

    code: str
    message: str
    submission_uuid: NotRequired[
        Annotated[str, Field(description="duplicate: the earlier submission it copies.")]
    ]


@_open
class AssessmentOut(TypedDict):
    uuid: str
    type: Annotated[str, Field(description="ai or staff.")]
    submission_uuid: str
    grading_workflow_uuid: Annotated[str | None, Field(description="Null for staff.")]
    classifier_set_uuid: Annotated[str | None, Field(description="Null for staff.")]
    scorer_id: Annotated[str, Field(description="The algorithm, or the staff member's token name.")]
    scored_at: str
    points_earned: int
    points_possible: int
    parts: Annotated[
        list[AssessmentPartOut],
        Field(description="Scored criteria; a staff assessment's confidence is 1."),
    ]
    feedback: Annotated[
        dict[str, str], Field(description="Feedback text by criterion (any criterion).")
    ]
    overall_feedback: str
    flags: list[FlagOut]
    review_status: ReviewStatusName


@_open
class AssessmentsList(TypedDict):
    assessments: Annotated[
        list[AssessmentOut], Field(description="Every assessment, newest first.")
    ]


@_open
class GradingWorkflowOut(TypedDict):
    uuid: str
    type: Literal["grade"]
    status: WorkflowStatusName
    submission_uuid: str
    course_id: str
    item_id: str
    classifier_set_uuid: str | None
    assessment_uuid: str | None
    created_at: str
    scheduled_at: str | None
    started_at: str | None
    completed_at: str | None
    failed_at: str | None
    attempts: int
    last_error: str | None


@_open
class SubmissionOut(TypedDict):
    uuid: str
    course_id: str
    item_id: str
    student_id: str
    external_id: str | None
    answer: Annotated[Any, Field(description="As submitted: a string, {text} or {parts}.")]
    text: str
    created_at: str
    grading_workflow: GradingWorkflowOut | None
    assessment: Annotated[
        AssessmentOut | None,
        Field(
            description="The current assessment: the newest staff one, else the newest "
            "released AI one."
        ),
    ]
    review_status: SubmissionReviewName
    current_assessment_type: Literal["ai", "staff"] | None
    # Not required, so the released document's required fields stay as they were.
    text_purged_at: NotRequired[
        Annotated[
            str | None,
            Field(description="When the retention period removed the essay's text, if it did."),
        ]
    ]


@_open
class SubmissionSummary(TypedDict):
    submission_uuid: str
    student_id: str
    external_id: str | None
    created_at: str
    status: WorkflowStatusName
    grading_workflow_uuid: str
    assessment: AssessmentOut | None
    review_status: SubmissionReviewName
    current_assessment_type: Literal["ai", "staff"] | None


@_open
class SubmissionsPage(Page):
    submissions: list[SubmissionSummary]


# What to grade next -----------------------------------------------------------------


@_open
class GradeNextSubmission(TypedDict):
    submission_uuid: str
    reason: Annotated[str, Field(description="Why grading this essay would help, for people.")]


@_open
class OptionCoverage(TypedDict):
    option: str
    points: int
    examples: Annotated[int, Field(description="Graded examples at this option.")]
    wanted: Annotated[int, Field(description="How many more examples this option wants.")]


@_open
class CriterionCoverage(TypedDict):
    criterion: str
    options: list[OptionCoverage]
    advice: Annotated[str, Field(examples=["3 more essays at 'strong' would help most"])]


@_open
class GradeNextOut(TypedDict):
    submissions: list[GradeNextSubmission]
    strategy: Annotated[
        Literal["variety", "uncertainty"],
        Field(
            description="variety: no classifier yet, a sample covering the essays; "
            "uncertainty: half at random, half spread over the predicted scores, the rarest "
            "first."
        ),
    ]
    classifier_set_uuid: str | None
    ungraded: Annotated[int, Field(description="Submissions not yet graded by staff.")]
    coverage: list[CriterionCoverage]


@_open
class ReviewOut(TypedDict):
    """An AI assessment held for review."""

    submission_uuid: str
    assessment_uuid: str
    flags: list[FlagOut]
    lowest_confidence: float | None
    points_earned: int
    points_possible: int
    scored_at: str


@_open
class ReviewsPage(Page):
    reviews: Annotated[list[ReviewOut], Field(description="Oldest held first.")]


# Rescheduling and the backlog --------------------------------------------------------


@_open
class Rescheduled(TypedDict):
    training_scheduled: int
    grading_scheduled: int
    grading_waiting: Annotated[
        int, Field(description="Still without classifiers: they keep waiting.")
    ]
    # Not required, so the released document's required fields stay as they were.
    training_not_retried: NotRequired[
        Annotated[
            int,
            Field(
                description="Trainings that failed the item's quality gate and would fail "
                "it again on the same examples: left failed; lower min_qwk or train with "
                "more examples."
            ),
        ]
    ]


@_open
class WorkflowCounts(TypedDict):
    waiting: int
    scheduled: int
    failed: int
    complete: int


@_open
class WorkflowCountsByType(TypedDict):
    train: WorkflowCounts
    grade: WorkflowCounts


@_open
class OldestUnfinished(TypedDict):
    uuid: str
    created_at: str
    age_seconds: float


@_open
class OldestByType(TypedDict):
    train: OldestUnfinished | None
    grade: OldestUnfinished | None


@_open
class WorkerOut(TypedDict):
    name: str
    queues: list[str]
    started_at: str
    last_seen: str


@_open
class StatusOut(TypedDict):
    workflows: WorkflowCountsByType
    oldest_unfinished: OldestByType
    workers: list[WorkerOut]
    queues: Annotated[
        dict[str, int | None], Field(description="Null where the broker cannot tell.")
    ]
    outbox: Annotated[
        int,
        Field(
            description="Tasks committed but not yet sent to the broker, the whole service's "
            "(the transactional outbox); a count that stays up means the broker refuses "
            "them or no process relays."
        ),
    ]
    classifier_set: NotRequired[
        Annotated[
            ClassifierSetOut | None,
            Field(description="Only for one item: the set that grades it now."),
        ]
    ]
