"""The AI Grading API's client side over HTTP.

:class:`HttpClient` has the methods of :class:`essaygrader.api.ai.AIGradingAPI` that a
platform or staff member calls, with the same arguments, return values and errors, so a
program switches from in-process to remote by changing the line that builds its API::

    api = essaygrader.runtime.connect()                          # in-process
    api = HttpClient("https://grader.example.edu", token=TOKEN)  # over the network

Arguments that only make sense inside the service (``course_ids``, which limits lists to
some courses) are left out: over HTTP, the token decides which courses a call reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import httpx

from essaygrader.contract import (
    UNSET,
    AssessmentOut,
    AssessmentsList,
    ClassifierSetOut,
    ClassifierSetsPage,
    CoursesPage,
    ExamplesCheck,
    GradeNextOut,
    GradingService,
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
from essaygrader.domain.item import ItemKey
from essaygrader.domain.validation import require_addressable_id, require_id
from essaygrader.errors import (
    ConflictError,
    EssayGraderError,
    ForbiddenError,
    InternalError,
    NotFoundError,
    RequestError,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


class HttpClient:
    """The AI Grading API of a remote essaygrader service.

    Args:
        base_url: Where the service answers, e.g. ``http://127.0.0.1:8000``.
        token: An API token; its role and courses decide what the calls may do.
        timeout: Seconds to wait for each answer.
        http: An ``httpx``-compatible client to send requests with (tests pass an
            in-process one); by default one is made and closed with this object.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the connections this client opened."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Items --------------------------------------------------------------------------

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
        """Create an item; see :meth:`AIGradingAPI.create_item`."""
        course = _segment(course_id, "course_id", "item_invalid")
        body = {
            "item_id": require_addressable_id(item_id, "item_id", "item_invalid"),
            "rubric": rubric,
            "prompt": prompt,
            "algorithm_id": algorithm_id,
            "published": published,
            "min_qwk": min_qwk,
            "review_policy": review_policy,
            "review_confidence_below": review_confidence_below,
        }
        return cast("ItemOut", self._object("POST", f"/courses/{course}/items", json=body))

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
        given = {
            "rubric": rubric,
            "prompt": prompt,
            "algorithm_id": algorithm_id,
            "published": published,
            "min_qwk": min_qwk,
            "review_policy": review_policy,
            "review_confidence_below": review_confidence_below,
        }
        body = {name: value for name, value in given.items() if value is not UNSET}
        return cast("ItemOut", self._object("PATCH", _item(course_id, item_id), json=body))

    def get_item(self, course_id: str, item_id: str) -> ItemOut:
        """An item and its rubric."""
        return cast("ItemOut", self._object("GET", _item(course_id, item_id)))

    def list_items(
        self, course_id: str | None = None, *, offset: int = 0, limit: int = 100
    ) -> ItemsPage:
        """Items the token reaches, ordered by course and id."""
        params = {"course_id": course_id, "offset": offset, "limit": limit}
        return cast("ItemsPage", self._object("GET", "/items", params=params))

    def list_courses(self, *, offset: int = 0, limit: int = 100) -> CoursesPage:
        """Courses the token reaches, with their item counts."""
        return cast(
            "CoursesPage",
            self._object("GET", "/courses", params={"offset": offset, "limit": limit}),
        )

    # Training -----------------------------------------------------------------------

    def train_classifiers(
        self,
        course_id: str,
        item_id: str,
        examples: list[dict[str, Any]] | None = None,
        *,
        from_graded_submissions: bool = False,
        algorithm_id: str | None = None,
    ) -> TrainingStarted:
        """Store graded examples (and/or train on staff-graded submissions) and schedule
        training."""
        body: dict[str, Any] = {"algorithm_id": algorithm_id}
        if examples is not None or not from_graded_submissions:
            body["examples"] = examples
        if from_graded_submissions:
            body["from_graded_submissions"] = True
        return cast(
            "TrainingStarted",
            self._object("POST", _item(course_id, item_id, "/training"), json=body),
        )

    def check_training_examples(
        self, course_id: str, item_id: str, examples: list[dict[str, Any]]
    ) -> ExamplesCheck:
        """Validate examples without storing them, reporting every invalid one."""
        path = _item(course_id, item_id, "/training/check")
        return cast("ExamplesCheck", self._object("POST", path, json={"examples": examples}))

    def list_training_workflows(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> TrainingWorkflowsPage:
        """The item's training workflows, newest first."""
        path = _item(course_id, item_id, "/training")
        return cast(
            "TrainingWorkflowsPage",
            self._object("GET", path, params={"offset": offset, "limit": limit}),
        )

    def get_training_workflow(self, workflow_uuid: str) -> TrainingWorkflowOut:
        """A training workflow's status, attempts, error and progress."""
        uuid = _segment(workflow_uuid, "workflow_uuid", "training_invalid")
        return cast("TrainingWorkflowOut", self._object("GET", f"/workflows/training/{uuid}"))

    def is_training_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether training finished and its classifiers are stored."""
        return bool(self.get_training_workflow(workflow_uuid)["status"] == "complete")

    def get_classifier_set_info(self, course_id: str, item_id: str) -> ClassifierSetOut | None:
        """The classifier set that grades the item now, with its metrics, or None."""
        return cast(
            "ClassifierSetOut | None",
            self._object_or_none("GET", _item(course_id, item_id, "/classifier-set")),
        )

    def list_classifier_sets(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ClassifierSetsPage:
        """Every classifier set of the item, newest first."""
        path = _item(course_id, item_id, "/classifier-sets")
        return cast(
            "ClassifierSetsPage",
            self._object("GET", path, params={"offset": offset, "limit": limit}),
        )

    # Grading ------------------------------------------------------------------------

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
        """Store a submission and start grading it; the essay is ``text`` (or ``answer``,
        its older name)."""
        body: dict[str, Any] = {"student_id": student_id, "external_id": external_id}
        if answer is not None:
            body["answer"] = answer
        if text is not None:
            body["text"] = text
        return cast(
            "Submitted", self._object("POST", _item(course_id, item_id, "/submissions"), json=body)
        )

    def submit_many(
        self,
        course_id: str,
        item_id: str,
        submissions: Sequence[dict[str, Any]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[Submitted]:
        """Store several submissions in one transaction: all of them or, on error, none.

        Args:
            progress: Called once, with the number submitted, when the service answers.
        """
        if isinstance(submissions, str | bytes) or not isinstance(submissions, Sequence):
            raise RequestError("must be a list", field="submissions", code="grading_invalid")
        path = _item(course_id, item_id, "/submissions/batch")
        results = self._call("POST", path, json={"submissions": list(submissions)})
        if not isinstance(results, list):
            raise InternalError(f"essaygrader answered {path} with {type(results).__name__}")
        if progress:
            progress(len(results))
        return results

    def get_submission(self, submission_uuid: str) -> SubmissionOut:
        """A submission, its grading status and its latest assessment (or None)."""
        return cast("SubmissionOut", self._object("GET", _submission(submission_uuid)))

    def get_latest_assessment(self, submission_uuid: str) -> AssessmentOut | None:
        """The current assessment (newest staff, else newest released AI), or None."""
        return cast(
            "AssessmentOut | None",
            self._object_or_none("GET", _submission(submission_uuid, "/assessment")),
        )

    def get_assessment_scores_by_criteria(self, submission_uuid: str) -> dict[str, int]:
        """``{criterion: points}`` of the current assessment; empty without one."""
        return cast("dict[str, int]", self._object("GET", _submission(submission_uuid, "/scores")))

    def get_grading_workflow(self, workflow_uuid: str) -> GradingWorkflowOut:
        """A grading workflow's status, attempts and error."""
        uuid = _segment(workflow_uuid, "workflow_uuid", "grading_invalid")
        return cast("GradingWorkflowOut", self._object("GET", f"/workflows/grading/{uuid}"))

    def is_grading_workflow_complete(self, workflow_uuid: str) -> bool:
        """Whether the submission has its assessment."""
        return bool(self.get_grading_workflow(workflow_uuid)["status"] == "complete")

    def get_workflow_statuses(
        self, workflow_uuids: Sequence[str], *, task_type: str = "grade"
    ) -> dict[str, str]:
        """``{uuid: status}`` for many workflows of one type; unknown ids are left out."""
        body = {"workflow_uuids": list(workflow_uuids), "task_type": task_type}
        return cast("dict[str, str]", self._object("POST", "/workflows/statuses", json=body))

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
        params = {
            "offset": offset,
            "limit": limit,
            "status": status,
            "confidence_below": confidence_below,
        }
        path = _item(course_id, item_id, "/submissions")
        return cast("SubmissionsPage", self._object("GET", path, params=params))

    def grade_next(self, course_id: str, item_id: str, *, limit: int = 10) -> GradeNextOut:
        """Submissions not yet graded by staff whose grades would teach the model most, and
        per criterion the examples per option and what is thin."""
        path = _item(course_id, item_id, "/grade-next")
        return cast("GradeNextOut", self._object("GET", path, params={"limit": limit}))

    # Staff grading and review -------------------------------------------------------

    def create_staff_assessment(
        self,
        submission_uuid: str,
        options_selected: dict[str, str],
        *,
        feedback: dict[str, str] | None = None,
        overall_feedback: str = "",
    ) -> AssessmentOut:
        """Record a staff assessment, scored by this token's name; it becomes current."""
        body = {
            "options_selected": options_selected,
            "feedback": feedback or {},
            "overall_feedback": overall_feedback,
        }
        path = _submission(submission_uuid, "/staff-assessment")
        return cast("AssessmentOut", self._object("POST", path, json=body))

    def list_assessments(self, submission_uuid: str) -> AssessmentsList:
        """Every assessment of a submission, newest first, held ones included."""
        path = _submission(submission_uuid, "/assessments")
        return cast("AssessmentsList", self._object("GET", path))

    def review_assessment(self, submission_uuid: str, action: str = "confirm") -> AssessmentOut:
        """Confirm the AI assessment held for review, releasing it."""
        path = _submission(submission_uuid, "/review")
        return cast("AssessmentOut", self._object("POST", path, json={"action": action}))

    def list_reviews(
        self, course_id: str, item_id: str, *, offset: int = 0, limit: int = 100
    ) -> ReviewsPage:
        """An item's AI assessments held for review, oldest first."""
        path = _item(course_id, item_id, "/review")
        return cast(
            "ReviewsPage", self._object("GET", path, params={"offset": offset, "limit": limit})
        )

    # Rescheduling and the backlog ---------------------------------------------------

    def reschedule_unfinished_tasks(
        self, course_id: str, item_id: str | None = None, task_type: str = "all"
    ) -> Rescheduled:
        """Queue unfinished work of an item (or of a whole course) again."""
        params = {"task_type": task_type}
        if item_id is None:
            course = _segment(course_id, "course_id", "item_invalid")
            return cast(
                "Rescheduled", self._object("POST", f"/courses/{course}/reschedule", params=params)
            )
        return cast(
            "Rescheduled",
            self._object("POST", _item(course_id, item_id, "/reschedule"), params=params),
        )

    def status(self, course_id: str | None = None, item_id: str | None = None) -> StatusOut:
        """Workflow counts, queue lengths, the oldest unfinished work and live workers."""
        return cast(
            "StatusOut",
            self._object("GET", "/status", params={"course_id": course_id, "item_id": item_id}),
        )

    # Transport ----------------------------------------------------------------------

    def _object(self, method: str, path: str, **kwargs: Any) -> Any:
        result = self._call(method, path, **kwargs)
        if not isinstance(result, dict):
            raise InternalError(f"essaygrader answered {path} with {type(result).__name__}")
        return result

    def _object_or_none(self, method: str, path: str, **kwargs: Any) -> Any:
        return None if (result := self._call(method, path, **kwargs)) is None else result

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        url = f"{self.base_url}{API_PREFIX}{path}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(
                method, url, json=json, params=query, headers=self._headers
            )
        except httpx.TransportError as exc:
            raise InternalError(
                f"cannot reach essaygrader at {self.base_url}: {type(exc).__name__}: {exc}",
                code="service_unreachable",
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(response.status_code, _json_or_none(response))
        return response.json()


if TYPE_CHECKING:

    def _conforms(client: HttpClient) -> GradingService:
        return client


def error_from_response(status: int, body: Any) -> EssayGraderError:
    """The essaygrader error that an error response stands for.

    The status picks the kind (401 and 403 a ``ForbiddenError``, 404 a ``NotFoundError``,
    409 a ``ConflictError``, other 4xx a ``RequestError``, 5xx an ``InternalError``) and
    the body's ``code`` is kept, so a caller handles an error from the HTTP client exactly
    as one from the in-process API.
    """
    kind = _KIND_OF_STATUS.get(status) or (InternalError if status >= 500 else RequestError)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return kind(f"essaygrader answered HTTP {status} without an error body")
    code, field = body["code"], body.get("field")
    message = str(body.get("message", ""))
    if field and message.startswith(f"{field}: "):
        message = message[len(field) + 2 :]
    return kind(message, code=code, field=field if isinstance(field, str) else None)


_KIND_OF_STATUS: dict[int, type[EssayGraderError]] = {
    401: ForbiddenError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
}


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _segment(value: Any, field: str, code: str) -> str:
    """An id checked as the in-process API would, encoded for a URL path."""
    return quote(require_id(value, field, code), safe="")


def _item(course_id: Any, item_id: Any, rest: str = "") -> str:
    key = ItemKey.parse(course_id, item_id)
    course = quote(require_addressable_id(key.course_id, "course_id", "item_invalid"), safe="")
    item = quote(require_addressable_id(key.item_id, "item_id", "item_invalid"), safe="")
    return f"/courses/{course}/items/{item}{rest}"


def _submission(submission_uuid: Any, rest: str = "") -> str:
    return f"/submissions/{_segment(submission_uuid, 'submission_uuid', 'grading_invalid')}{rest}"
