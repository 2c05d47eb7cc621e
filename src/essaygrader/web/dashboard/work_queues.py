"""An item's two queues of work for course staff: the essays worth grading next (with
what the training set still lacks, and training from the graded ones), and the AI grades
held for review (with confirm, and override on the essay page).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from essaygrader.api.ai import AIGradingAPI
from essaygrader.domain.access import Permission
from essaygrader.errors import RequestError
from essaygrader.web.access import check_course, check_permission
from essaygrader.web.dashboard.forms import item_path
from essaygrader.web.dashboard.pages import item_context
from essaygrader.web.dashboard.render import PREFIX, redirect, render, shown_error
from essaygrader.web.dashboard.session import SameOrigin, UserDep
from essaygrader.web.deps import APIDep
from essaygrader.web.errors import status_for

router = APIRouter(prefix=PREFIX, include_in_schema=False)
forms = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[SameOrigin])

ITEM = "/courses/{course_id}/items/{item_id}"
SUGGESTED = 20
PAGE = 50
OPENING_WORDS = 14


@router.get(f"{ITEM}/grade-next")
def grade_next(
    request: Request, user: UserDep, api: APIDep, course_id: str, item_id: str
) -> Response:
    """The essays whose grades would teach the model most, and the training set's gaps."""
    check_course(user, course_id)
    check_permission(user, Permission.GRADE)
    queue = api.grade_next(course_id, item_id, limit=SUGGESTED)
    context: dict[str, Any] = {
        "course_id": course_id,
        "item_id": item_id,
        "item": api.get_item(course_id, item_id),
        "queue": queue,
        "essays": _essays(api, [s["submission_uuid"] for s in queue["submissions"]]),
        "notice": request.query_params.get("notice"),
        "train_error": None,
    }
    return render(request, "grade_next.html", context)


@forms.post(f"{ITEM}/train-from-graded")
def train_from_graded(
    request: Request, user: UserDep, api: APIDep, course_id: str, item_id: str
) -> Response:
    """The "Train from N graded submissions" button."""
    check_course(user, course_id)
    check_permission(user, Permission.TRAIN)
    try:
        started = api.train_classifiers(course_id, item_id, from_graded_submissions=True)
    except RequestError as exc:
        context = item_context(request, user, course_id, item_id, upload_error=shown_error(exc))
        return render(request, "item.html", context, status=status_for(exc))
    query = urlencode({"notice": "training", "examples": started["examples_from_graded"]})
    return redirect(f"{item_path(course_id, item_id)}?{query}")


@router.get(f"{ITEM}/review")
def review(
    request: Request, user: UserDep, api: APIDep, course_id: str, item_id: str, offset: int = 0
) -> Response:
    """The AI grades held for review: flags, lowest confidence, confirm and override."""
    check_course(user, course_id)
    check_permission(user, Permission.GRADE)
    page = api.list_reviews(course_id, item_id, offset=max(0, offset), limit=PAGE)
    context: dict[str, Any] = {
        "course_id": course_id,
        "item_id": item_id,
        "item": api.get_item(course_id, item_id),
        "page": page,
        "essays": _essays(api, [r["submission_uuid"] for r in page["reviews"]]),
        "notice": request.query_params.get("notice"),
    }
    return render(request, "review.html", context)


def _essays(api: AIGradingAPI, uuids: list[str]) -> dict[str, dict[str, str]]:
    """Who wrote each listed essay and how it opens, so a list names essays people know."""
    shown = {}
    for uuid in uuids:
        submission = api.get_submission(uuid)
        words = submission["text"].split()
        opening = " ".join(words[:OPENING_WORDS]) + (" …" if len(words) > OPENING_WORDS else "")
        shown[uuid] = {"student_id": submission["student_id"], "opening": opening}
    return shown
