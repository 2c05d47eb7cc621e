"""The client-side AI Grading API as a Protocol: what a course platform and course staff call.

Two implementations exist and mypy checks both against :class:`GradingService`: the
in-process API (:class:`essaygrader.api.ai.AIGradingAPI`, which adds arguments only a
trusted caller inside the service may use, such as ``course_ids``) and the HTTP client
(:class:`essaygrader.client.HttpClient`). A program written against this Protocol runs
with either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from essaygrader.contract.results import (
    AssessmentOut,
    AssessmentsList,
    ClassifierSetOut,
    ClassifierSetsPage,
    CoursesPage,
    ExamplesCheck,
    GradeNextOut,
    GradingWorkflowOut,
    ItemOut,
    ItemsPage,
    Rescheduled,
    ReviewsPage,
    StatusOut,
    SubmissionOut,
    SubmissionsPage,
    Submitted,
    TrainingStarted,
    TrainingWorkflowOut,
    TrainingWorkflowsPage,
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Default of optional update arguments: "leave unchanged", as opposed to None."""


class GradingService(Protocol):
    """Items, training, submissions and assessments, rescheduling and the backlog."""

    # Items

    def create_item(
        self,
        course_id: str,
        item_id: str,
        rubric: dict[str, Any],
        *,
        prompt: str = "",
        algorithm_id: str | None = None,
        published: bool = False,
        min_qwk: float | None = None,
        review_policy: str = "none",
        review_confidence_below: float = 0.5,
    ) -> ItemOut:
        """Create an item: a question of a course, with its rubric."""
        ...

    def update_item(
        self,
        course_id: str,
        item_id: str,
        *,
        rubric: dict[str, Any] = UNSET,
        prompt: str = UNSET,
        algorithm_id: str | None = UNSET,
        published: bool = UNSET,
        min_qwk: float | None = UNSET,
        review_policy: str = UNSET,
        review_confidence_below: float = UNSET,
    ) -> ItemOut:
        """Change an item; arguments left out stay as they are."""
        ...

    def get_item(self, course_id: str, item_id: str) -> ItemOut:
        """An item and its rubric."""
        ...

    def list_items(
        self, course_id: str | None = None, *, offset: int = 0, limit: int = 100
    ) -> ItemsPage:
        """Items ordered by course and id."""
        ...

    def list_courses(self, *, offset: int = 0, limit: int = 100) -> CoursesPage:
        """Courses and how many items each has, ordered by id."""
        ...

    # Training

    def train_classifiers(
        self,
        course_id: str,
        item_id: str,
        examples: list[dict[str, Any]] | None = None,
        *,
        from_graded_submissions: bool = False,
        algorithm_id: str | None = None,
    ) -> TrainingStarted:
        """Store graded examples (uploaded, and/or the item's staff-graded submissions) and
        schedule training of one classifier per criterion."""
        ...

    def check_training_examples(
        self, course_id: str, item_id: str, examples: list[dict[str, Any]]
    ) -> ExamplesCheck:
        """Validate examples as training would, reporting every bad one; nothing is stored."""
        ...

    def list_training_workflows(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> TrainingWorkflowsPage:
        """An item's training workflows, newest first."""
        ...

    def get_training_workflow(self, workflow_uuid: str) -> TrainingWorkflowOut:
        """A training workflow's status, attempts, error and progress."""
        ...

    def is_training_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether training finished and its classifiers are stored."""
        ...

    def get_classifier_set_info(self, course_id: str, item_id: str) -> ClassifierSetOut | None:
        """The classifier set that grades the item now, with its quality, or None."""
        ...

    def list_classifier_sets(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ClassifierSetsPage:
        """Every classifier set trained for an item, newest first."""
        ...

    # Submissions and assessments

    def submit(
        self,
        course_id: str,
        item_id: str,
        student_id: str,
        answer: Any = None,
        *,
        external_id: str | None = None,
        text: str | None = None,
    ) -> Submitted:
        """Store a submission and start grading it (or wait for classifiers); the essay is
        ``text``, or ``answer`` (its older name)."""
        ...

    def submit_many(
        self,
        course_id: str,
        item_id: str,
        submissions: Sequence[dict[str, Any]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[Submitted]:
        """Store several submissions in one transaction: all of them or, on error, none."""
        ...

    def get_submission(self, submission_uuid: str) -> SubmissionOut:
        """A submission, its grading workflow and its latest assessment."""
        ...

    def get_latest_assessment(self, submission_uuid: str) -> AssessmentOut | None:
        """The current assessment (newest staff, else newest released AI), or None."""
        ...

    def get_assessment_scores_by_criteria(self, submission_uuid: str) -> dict[str, int]:
        """``{criterion: points}`` of the current assessment; empty without one."""
        ...

    def get_grading_workflow(self, workflow_uuid: str) -> GradingWorkflowOut:
        """A grading workflow's status, attempts and error."""
        ...

    def is_grading_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the submission has its assessment."""
        ...

    def get_workflow_statuses(
        self, workflow_uuids: Sequence[str], *, task_type: str = "grade"
    ) -> dict[str, str]:
        """``{uuid: status}`` for many workflows of one type; unknown ids are left out."""
        ...

    def list_submissions(
        self,
        course_id: str,
        item_id: str,
        *,
        offset: int = 0,
        limit: int = 100,
        status: str | None = None,
        confidence_below: float | None = None,
    ) -> SubmissionsPage:
        """An item's submissions, oldest first, each with its status and assessment."""
        ...

    def grade_next(self, course_id: str, item_id: str, *, limit: int = 10) -> GradeNextOut:
        """Submissions not yet graded by staff whose grades would teach the model most, and
        per criterion the examples per option and what is thin."""
        ...

    # Staff grading and review

    def create_staff_assessment(
        self,
        submission_uuid: str,
        options_selected: dict[str, str],
        *,
        feedback: dict[str, str] | None = None,
        overall_feedback: str = "",
    ) -> AssessmentOut:
        """Record a staff assessment of a submission; it becomes the current one."""
        ...

    def list_assessments(self, submission_uuid: str) -> AssessmentsList:
        """Every assessment of a submission, newest first, held ones included."""
        ...

    def review_assessment(self, submission_uuid: str, action: str = "confirm") -> AssessmentOut:
        """Confirm the AI assessment held for review, releasing it."""
        ...

    def list_reviews(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ReviewsPage:
        """An item's AI assessments held for review, oldest first."""
        ...

    # Rescheduling and the backlog

    def reschedule_unfinished_tasks(
        self, course_id: str, item_id: str | None = None, task_type: str = "all"
    ) -> Rescheduled:
        """Queue the unfinished work of an item, or of every item of a course, again."""
        ...

    def status(self, course_id: str | None = None, item_id: str | None = None) -> StatusOut:
        """Workflow counts, queue lengths, the oldest unfinished work and live workers."""
        ...
