"""Training, training workflows and classifier sets over HTTP."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from essaygrader.domain.training import MAX_EXAMPLES
from essaygrader.web.schemas.common import (
    PageFields,
    RequestModel,
    ResponseModel,
    WorkflowStatus,
)
from essaygrader.web.schemas.grading import Answer


class ExampleIn(RequestModel):
    text: Answer
    options_selected: dict[str, str] = Field(
        description="For each scored criterion, the name of the option a grader selected."
    )


class TrainingRequest(RequestModel):
    examples: list[ExampleIn] = Field(min_length=1, max_length=MAX_EXAMPLES)
    algorithm_id: str | None = Field(
        default=None, description="Overrides the item's algorithm for this training."
    )


class ExamplesCheckRequest(RequestModel):
    """Examples are checked one by one, so their shape is not enforced here."""

    examples: list[Any] = Field(max_length=MAX_EXAMPLES)


class TrainingStarted(ResponseModel):
    training_workflow_uuid: str
    algorithm_id: str
    warnings: list[str]


class ExampleError(ResponseModel):
    index: int | None = Field(description="The example's position; null for the whole set.")
    field: str
    message: str


class ExamplesCheck(ResponseModel):
    valid: bool
    examples: int
    errors: list[ExampleError]
    warnings: list[str]


class TrainingWorkflowOut(ResponseModel):
    uuid: str
    type: Literal["train"]
    status: WorkflowStatus
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


class TrainingWorkflowsPage(PageFields):
    training_workflows: list[TrainingWorkflowOut]


class Confusion(ResponseModel):
    labels: list[int] = Field(description="Point values, for both rows and columns.")
    matrix: list[list[int]] = Field(description="Rows: human points; columns: predicted.")


class CriterionQuality(ResponseModel):
    qwk: float
    exact: float
    adjacent: float
    examples: int
    distribution: dict[str, int] = Field(description="Examples per point value.")
    confusion: Confusion


class QualityMetrics(ResponseModel):
    """Cross-validated quality of a classifier set, recorded by training."""

    folds: int
    mean_qwk: float
    min_qwk: float | None
    passed_quality_gate: bool
    criteria: dict[str, CriterionQuality]


class ClassifierOut(ResponseModel):
    criterion: str
    sha256: str
    size_bytes: int
    format_version: int


class ClassifierSetOut(ResponseModel):
    uuid: str
    course_id: str
    item_id: str
    algorithm_id: str
    created_at: str
    training_workflow_uuid: str
    rubric_content_hash: str
    rubric_structure_hash: str
    classifiers: list[ClassifierOut]
    metrics: QualityMetrics | None = Field(
        description="Null when training recorded none (e.g. the fake algorithm)."
    )


class ClassifierSetsPage(PageFields):
    classifier_sets: list[ClassifierSetOut]
    current_uuid: str | None = Field(description="The set that grades the item now.")
