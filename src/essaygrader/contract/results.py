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
    "ClassifierOut",
    "ClassifierSetOut",
    "ClassifierSetsPage",
    "Confusion",
    "CourseOut",
    "CoursesPage",
    "CriterionOut",
    "CriterionQuality",
    "ExampleError",
    "ExamplesCheck",
    "GradingWorkflowOut",
    "ItemOut",
    "ItemsPage",
    "OldestByType",
    "OldestUnfinished",
    "OptionOut",
    "Page",
    "QualityMetrics",
    "Rescheduled",
    "RubricOut",
    "StatusOut",
    "SubmissionOut",
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
class AssessmentOut(TypedDict):
    uuid: str
    type: str
    submission_uuid: str
    grading_workflow_uuid: str
    classifier_set_uuid: str
    scorer_id: str
    scored_at: str
    points_earned: int
    points_possible: int
    parts: list[AssessmentPartOut]


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
    assessment: AssessmentOut | None
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


@_open
class SubmissionsPage(Page):
    submissions: list[SubmissionSummary]


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
    classifier_set: NotRequired[
        Annotated[
            ClassifierSetOut | None,
            Field(description="Only for one item: the set that grades it now."),
        ]
    ]
