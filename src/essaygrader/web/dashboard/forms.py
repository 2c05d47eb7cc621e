"""The dashboard's forms: create an item, upload examples and train, reschedule.

A form that fails re-renders its page with the error next to the form (and, for an
upload, one line per bad row), and stores nothing: the Python API validates everything
before it writes, in one transaction.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from essaygrader.contract import Rescheduled
from essaygrader.domain import tables
from essaygrader.domain.access import Permission
from essaygrader.errors import RequestError
from essaygrader.web.access import check_course, check_permission
from essaygrader.web.dashboard.pages import course_context, item_context
from essaygrader.web.dashboard.render import PREFIX, redirect, render, shown_error, url_part
from essaygrader.web.dashboard.session import SameOrigin, UserDep
from essaygrader.web.deps import APIDep
from essaygrader.web.errors import status_for

router = APIRouter(prefix=PREFIX, include_in_schema=False, dependencies=[SameOrigin])

Text = Annotated[str, Form()]


def item_path(course_id: str, item_id: str) -> str:
    """The dashboard page of an item."""
    return f"{PREFIX}/courses/{url_part(course_id)}/items/{url_part(item_id)}"


@router.post("/courses/{course_id}/items")
def create_item(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    item_id: Text = "",
    prompt: Text = "",
    rubric: Text = "",
    algorithm_id: Text = "",
    published: Text = "",
    min_qwk: Text = "",
    review_policy: Text = "none",
    review_confidence_below: Text = "",
) -> Response:
    """Create an item from the course page's form; errors re-render that page."""
    check_course(user, course_id)
    check_permission(user, Permission.MANAGE_ITEMS)
    form = {
        "item_id": item_id,
        "prompt": prompt,
        "rubric": rubric,
        "algorithm_id": algorithm_id,
        "published": bool(published),
        "min_qwk": min_qwk,
        "review_policy": review_policy,
        "review_confidence_below": review_confidence_below,
    }
    try:
        created = api.create_item(
            course_id,
            item_id.strip(),
            _json(rubric, "rubric"),
            prompt=prompt,
            algorithm_id=algorithm_id or None,
            published=bool(published),
            min_qwk=_number(min_qwk, "min_qwk"),
            **_review_settings(review_policy, review_confidence_below),
        )
    except RequestError as exc:
        context = course_context(request, user, course_id, form=form, form_error=shown_error(exc))
        return render(request, "course.html", context, status=status_for(exc))
    return redirect(item_path(course_id, created["item_id"]))


@router.post("/courses/{course_id}/items/{item_id}/settings")
def item_settings(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    item_id: str,
    review_policy: Text = "none",
    review_confidence_below: Text = "",
) -> Response:
    """The item page's review settings: which AI grades wait for staff before release."""
    check_course(user, course_id)
    check_permission(user, Permission.MANAGE_ITEMS)
    try:
        api.update_item(
            course_id, item_id, **_review_settings(review_policy, review_confidence_below)
        )
    except RequestError as exc:
        context = item_context(request, user, course_id, item_id, settings_error=shown_error(exc))
        return render(request, "item.html", context, status=status_for(exc))
    return redirect(f"{item_path(course_id, item_id)}?notice=settings")


@router.post("/courses/{course_id}/items/{item_id}/train")
def train(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    item_id: str,
    examples: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check every row of the uploaded examples; train only when all are valid."""
    check_course(user, course_id)
    check_permission(user, Permission.TRAIN)
    rubric = api.get_item(course_id, item_id)["rubric"]
    name = (examples.filename if examples is not None else None) or "upload"
    try:
        data = examples.file.read() if examples is not None else b""
        if not data:
            raise RequestError(
                "choose a CSV or JSONL file of graded examples",
                field="examples",
                code="training_invalid",
            )
        kind = tables.table_kind(name, name)
        rows = tables.example_rows(tables.decode_text(data, name), kind, name, rubric)
        checked = api.check_training_examples(course_id, item_id, rows)
        if not checked["valid"]:
            problems = [
                {"line": line, "column": column, "message": message}
                for line, column, message in tables.checked_problems(checked["errors"], rows)
            ]
            context = item_context(request, user, course_id, item_id, upload_errors=problems)
            return render(request, "item.html", context, status=422)
        api.train_classifiers(course_id, item_id, rows)
    except RequestError as exc:
        context = item_context(request, user, course_id, item_id, upload_error=shown_error(exc))
        return render(request, "item.html", context, status=status_for(exc))
    query = urlencode({"notice": "training", "examples": len(rows)})
    return redirect(f"{item_path(course_id, item_id)}?{query}")


@router.post("/courses/{course_id}/items/{item_id}/reschedule")
def reschedule_item(
    user: UserDep, api: APIDep, course_id: str, item_id: str, task_type: Text = "all"
) -> Response:
    """The item backlog panel's reschedule button."""
    check_course(user, course_id)
    check_permission(user, Permission.RESCHEDULE)
    counts = api.reschedule_unfinished_tasks(course_id, item_id, task_type)
    return redirect(f"{item_path(course_id, item_id)}?{_rescheduled(counts)}")


@router.post("/courses/{course_id}/reschedule")
def reschedule_course(
    user: UserDep, api: APIDep, course_id: str, task_type: Text = "all"
) -> Response:
    """The course backlog panel's reschedule button."""
    check_course(user, course_id)
    check_permission(user, Permission.RESCHEDULE)
    counts = api.reschedule_unfinished_tasks(course_id, None, task_type)
    return redirect(f"{PREFIX}/courses/{url_part(course_id)}?{_rescheduled(counts)}")


def _rescheduled(counts: Rescheduled) -> str:
    return urlencode(
        {
            "notice": "rescheduled",
            "training": counts["training_scheduled"],
            "grading": counts["grading_scheduled"],
            "waiting": counts["grading_waiting"],
            "not_retrained": counts.get("training_not_retried", 0),
        }
    )


def _review_settings(policy: str, confidence_below: str) -> dict[str, Any]:
    """The review settings as ``create_item`` and ``update_item`` take them; a blank
    threshold keeps the item's (or the default)."""
    settings: dict[str, Any] = {"review_policy": policy}
    threshold = _number(confidence_below, "review_confidence_below")
    if threshold is not None:
        settings["review_confidence_below"] = threshold
    return settings


def _json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field=field,
            code="item_invalid",
        ) from exc


def _number(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise RequestError(
            f"must be a number, not {text!r}", field=field, code="item_invalid"
        ) from exc
