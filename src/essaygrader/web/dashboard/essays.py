"""The essay page: a submission's text, its current assessment and their history, the
staff grading form, and the confirm button of an AI grade held for review.

The page is addressed by the submission's uuid, so another course's essay is answered
404, exactly as a missing one (the HTTP API's rule for records addressed by uuid).
``queue`` names the queue the page was opened from (``grade-next`` or ``review``):
saving a grade, or confirming one, then opens that queue's next essay.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from essaygrader.api.ai import AIGradingAPI
from essaygrader.contract import SubmissionOut
from essaygrader.domain.access import Permission, Principal
from essaygrader.errors import ConflictError, NotFoundError, RequestError
from essaygrader.web.access import check_permission, hide_foreign
from essaygrader.web.dashboard.render import PREFIX, redirect, render, shown_error, url_part
from essaygrader.web.dashboard.session import SameOrigin, UserDep
from essaygrader.web.deps import APIDep
from essaygrader.web.errors import status_for

router = APIRouter(prefix=PREFIX, include_in_schema=False)
forms = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[SameOrigin])

QUEUES = ("grade-next", "review")
OPTION = "option:"
FEEDBACK = "feedback:"


async def posted_form(request: Request) -> FormData:
    """The posted form, whose field names follow the item's rubric."""
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def essay_path(submission_uuid: str, queue: str = "") -> str:
    """The dashboard page of an essay, opened from ``queue`` (or from no queue)."""
    path = f"{PREFIX}/submissions/{url_part(submission_uuid)}"
    return f"{path}?{urlencode({'queue': queue})}" if queue in QUEUES else path


def queue_path(course_id: str, item_id: str, queue: str) -> str:
    """The page listing ``queue`` of an item."""
    return f"{PREFIX}/courses/{url_part(course_id)}/items/{url_part(item_id)}/{queue}"


def reachable_submission(api: AIGradingAPI, user: Principal, submission_uuid: str) -> SubmissionOut:
    """The submission, if the signed-in token reaches its course.

    Raises:
        NotFoundError: ``submission_not_found``; no such submission, or another course's.
    """
    submission = api.get_submission(submission_uuid)
    hide_foreign(
        user,
        submission["course_id"],
        NotFoundError(
            f"no submission {submission_uuid!r}",
            field="submission_uuid",
            code="submission_not_found",
        ),
    )
    return submission


def paragraphs(text: str) -> list[str]:
    """The essay's paragraphs: its lines with text, as the student broke them."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def essay_context(
    request: Request,
    user: Principal,
    api: AIGradingAPI,
    submission: SubmissionOut,
    *,
    queue: str,
    form: dict[str, Any] | None = None,
    form_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the essay page shows; the grading form re-renders it with its error."""
    item = api.get_item(submission["course_id"], submission["item_id"])
    history = api.list_assessments(submission["uuid"])["assessments"]
    current = submission["assessment"]
    if form is None:
        # A staff member's earlier grade is theirs to edit; an AI grade is shown beside
        # the form, never filled in, so a training example is a person's own judgement.
        staff = current if current and current["type"] == "staff" else None
        form = {
            "options": {p["criterion"]: p["option"] for p in staff["parts"]} if staff else {},
            "feedback": dict(staff["feedback"]) if staff else {},
            "overall_feedback": staff["overall_feedback"] if staff else "",
        }
    pending = next(
        (a for a in history if a["type"] == "ai" and a["review_status"] == "pending"), None
    )
    return {
        "submission": submission,
        "course_id": submission["course_id"],
        "item_id": submission["item_id"],
        "item": item,
        "paragraphs": paragraphs(submission["text"]),
        "current": current,
        "history": history,
        "pending": pending if submission["review_status"] == "pending" else None,
        "queue": queue if queue in QUEUES else "",
        "can_grade": user.may(Permission.GRADE),
        "form": form,
        "form_error": form_error,
        "notice": request.query_params.get("notice"),
    }


@router.get("/submissions/{submission_uuid}")
def essay(
    request: Request, user: UserDep, api: APIDep, submission_uuid: str, queue: str = ""
) -> Response:
    """An essay with its assessments and the grading form."""
    check_permission(user, Permission.GRADE)
    submission = reachable_submission(api, user, submission_uuid)
    return render(request, "essay.html", essay_context(request, user, api, submission, queue=queue))


@forms.post("/submissions/{submission_uuid}/staff-assessment")
def grade(
    request: Request, user: UserDep, api: APIDep, submission_uuid: str, posted: FormDep
) -> Response:
    """Record the form's grade as a staff assessment, then open the queue's next essay."""
    check_permission(user, Permission.GRADE)
    submission = reachable_submission(api, user, submission_uuid)
    queue = str(posted.get("queue", ""))
    options = _fields(posted, OPTION)
    feedback = _fields(posted, FEEDBACK)
    overall = str(posted.get("overall_feedback", ""))
    form = {"options": options, "feedback": feedback, "overall_feedback": overall}
    try:
        api.create_staff_assessment(
            submission["uuid"],
            options,
            feedback={criterion: text for criterion, text in feedback.items() if text.strip()},
            overall_feedback=overall,
            scorer_id=user.name,
        )
    except RequestError as exc:
        context = essay_context(
            request, user, api, submission, queue=queue, form=form, form_error=shown_error(exc)
        )
        return render(request, "essay.html", context, status=status_for(exc))
    return _onwards(api, submission, queue, "graded")


@forms.post("/submissions/{submission_uuid}/review")
def confirm(user: UserDep, api: APIDep, submission_uuid: str, posted: FormDep) -> Response:
    """Release a held AI grade as it is; back to the review list, or on to the next essay.

    A grade a colleague decided on meanwhile (confirmed or overridden) is said, not an error.
    """
    check_permission(user, Permission.GRADE)
    submission = reachable_submission(api, user, submission_uuid)
    notice = "confirmed"
    try:
        api.review_assessment(submission["uuid"], action="confirm", reviewer_id=user.name)
    except ConflictError as exc:
        if exc.code != "nothing_to_review":
            raise
        notice = "decided"
    queue = str(posted.get("queue", ""))
    if posted.get("back") == "list":
        query = urlencode({"notice": notice})
        path = queue_path(submission["course_id"], submission["item_id"], "review")
        return redirect(f"{path}?{query}")
    return _onwards(api, submission, queue, notice)


def next_in_queue(
    api: AIGradingAPI, course_id: str, item_id: str, queue: str, done: str
) -> str | None:
    """The uuid of the essay ``queue`` offers next, other than the one just ``done``."""
    if queue == "grade-next":
        offered = [
            s["submission_uuid"] for s in api.grade_next(course_id, item_id, limit=2)["submissions"]
        ]
    elif queue == "review":
        offered = [
            r["submission_uuid"] for r in api.list_reviews(course_id, item_id, limit=2)["reviews"]
        ]
    else:
        return None
    return next((uuid for uuid in offered if uuid != done), None)


def _onwards(api: AIGradingAPI, submission: SubmissionOut, queue: str, notice: str) -> Response:
    """After a save: the queue's next essay, the emptied queue, or the same essay."""
    course_id, item_id = submission["course_id"], submission["item_id"]
    if queue not in QUEUES:
        return redirect(f"{essay_path(submission['uuid'])}?{urlencode({'notice': notice})}")
    following = next_in_queue(api, course_id, item_id, queue, submission["uuid"])
    if following is None:
        query = urlencode({"notice": f"{notice}-last"})
        return redirect(f"{queue_path(course_id, item_id, queue)}?{query}")
    return redirect(f"{essay_path(following, queue)}&{urlencode({'notice': notice})}")


def _fields(posted: FormData, prefix: str) -> dict[str, str]:
    """``{criterion: value}`` of the form's fields named ``prefix`` + criterion."""
    return {
        key[len(prefix) :]: str(value)
        for key, value in posted.multi_items()
        if key.startswith(prefix) and isinstance(value, str)
    }
