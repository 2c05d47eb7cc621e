"""The dashboard's erasure form: a student's work in a course, deleted on request.

The form needs the student's id and a ticked confirmation (and the browser asks once
more); the result page says how much was deleted without naming the student, so the id
stays out of URLs and server logs.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from essaygrader.domain.access import Permission
from essaygrader.errors import RequestError
from essaygrader.web.access import actor_of, check_course, check_permission
from essaygrader.web.dashboard.pages import course_context
from essaygrader.web.dashboard.render import PREFIX, redirect, render, shown_error, url_part
from essaygrader.web.dashboard.session import SameOrigin, UserDep
from essaygrader.web.deps import APIDep
from essaygrader.web.errors import status_for

router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[SameOrigin])

CONFIRMATION = "erase"


@router.post("/courses/{course_id}/erasures")
def erase_student(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    student_id: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Erase a student's submissions and assessments in the course, once confirmed."""
    check_course(user, course_id)
    check_permission(user, Permission.ERASE_STUDENTS)
    try:
        if confirm != CONFIRMATION:
            raise RequestError(
                "tick the box to confirm: erasing cannot be undone",
                field="confirm",
                code="student_data_invalid",
            )
        erased = api.erase_student(course_id, student_id.strip(), actor=actor_of(user))
    except RequestError as exc:
        context = course_context(request, user, course_id)
        context["erase_error"] = shown_error(exc)
        return render(request, "course.html", context, status=status_for(exc))
    counts = {k: erased[k] for k in ("submissions", "assessments", "grading_workflows")}
    return redirect(
        f"{PREFIX}/courses/{url_part(course_id)}?{urlencode({'notice': 'erased', **counts})}"
        "#erase-student"
    )
