"""The dashboard's pages: courses, items, training, quality, submissions and the backlog.

Each page reads through the Python API with the signed-in token's scope, exactly as the
HTTP API does: a course outside the token's courses is refused (403) whether or not it
exists, and lists show only the token's courses.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from essaygrader.algorithms.registry import BUILTIN_ALGORITHMS
from essaygrader.api.ai import AIGradingAPI
from essaygrader.contract import WorkflowStatusName as WorkflowStatus
from essaygrader.domain.access import Permission, Principal
from essaygrader.errors import NotFoundError
from essaygrader.runtime import Runtime
from essaygrader.web.access import check_course, check_permission, readable_error, readable_workflow
from essaygrader.web.dashboard import charts
from essaygrader.web.dashboard.render import PREFIX, redirect, render, url_part
from essaygrader.web.dashboard.session import UserDep
from essaygrader.web.deps import APIDep, RuntimeDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE = 50
LOW_CONFIDENCE = 0.5


# Classes that exist to test the pipeline: their grades mean nothing to a course.
TEST_ALGORITHM_CLASSES = frozenset({"essaygrader.algorithms.fake:FakeClassifier"})


def offered_algorithms(runtime: Runtime) -> list[str]:
    """The algorithms the create-item form lists: test algorithms only when the
    ``dashboard_test_algorithms`` setting asks for them."""
    settings = runtime.settings
    if settings.dashboard_test_algorithms:
        return runtime.algorithms.ids()
    specs = {**BUILTIN_ALGORITHMS, **settings.algorithms}
    return [
        algorithm_id
        for algorithm_id in runtime.algorithms.ids()
        if specs[algorithm_id].class_path not in TEST_ALGORITHM_CLASSES
    ]


def backlog_context(
    api: AIGradingAPI,
    principal: Principal,
    threshold: int,
    course_id: str | None = None,
    item_id: str | None = None,
) -> dict[str, Any]:
    """The backlog panel: counts in the token's scope, and whether to raise the alert."""
    status = api.status(course_id, item_id, course_ids=principal.course_scope)
    waiting_to_grade = status["workflows"]["grade"]["scheduled"]
    return {
        "status": status,
        "backlog": waiting_to_grade,
        "threshold": threshold,
        "alert": waiting_to_grade >= threshold,
        "can_reschedule": principal.may(Permission.RESCHEDULE),
    }


def course_context(
    request: Request,
    principal: Principal,
    course_id: str,
    *,
    offset: int = 0,
    form: dict[str, Any] | None = None,
    form_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the course page shows; forms re-render it with their errors."""
    runtime = request.app.state.runtime
    api = runtime.client
    return {
        "course_id": course_id,
        "items": api.list_items(course_id, offset=offset, limit=PAGE),
        "backlog": backlog_context(
            api, principal, runtime.settings.backlog_alert_threshold, course_id
        ),
        "algorithms": offered_algorithms(runtime),
        "default_algorithm": runtime.settings.default_algorithm,
        "can_manage": principal.may(Permission.MANAGE_ITEMS),
        "can_erase": principal.may(Permission.ERASE_STUDENTS),
        "erase_error": None,
        "form": form or {},
        "form_error": form_error,
        "notice": request.query_params.get("notice"),
        "counts": {
            k: request.query_params.get(k)
            for k in (
                "training",
                "grading",
                "waiting",
                "not_retrained",
                "submissions",
                "assessments",
                "grading_workflows",
            )
        },
    }


def item_context(
    request: Request,
    principal: Principal,
    course_id: str,
    item_id: str,
    *,
    upload_error: dict[str, Any] | None = None,
    upload_errors: list[dict[str, Any]] | None = None,
    settings_error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the item page shows; the upload form re-renders it with its errors."""
    runtime = request.app.state.runtime
    api = runtime.client
    item = api.get_item(course_id, item_id)
    training = [
        readable_workflow(principal, workflow)
        for workflow in api.list_training_workflows(course_id, item_id, limit=5)[
            "training_workflows"
        ]
    ]
    return {
        "course_id": course_id,
        "item_id": item_id,
        "item": item,
        "training": training,
        "latest": training[0] if training else None,
        "classifier_set": api.get_classifier_set_info(course_id, item_id),
        "backlog": backlog_context(
            api, principal, runtime.settings.backlog_alert_threshold, course_id, item_id
        ),
        "can_train": principal.may(Permission.TRAIN),
        "can_manage": principal.may(Permission.MANAGE_ITEMS),
        "settings_error": settings_error,
        "upload_error": upload_error,
        "upload_errors": upload_errors or [],
        "notice": request.query_params.get("notice"),
        "counts": {
            k: request.query_params.get(k)
            for k in ("training", "grading", "waiting", "not_retrained", "examples")
        },
    }


@router.get("/")
def home(request: Request, user: UserDep, runtime: RuntimeDep, offset: int = 0) -> Response:
    """The courses the token reaches, and their backlog."""
    api = runtime.client
    context = {
        "courses": api.list_courses(
            offset=max(0, offset), limit=PAGE, course_ids=user.course_scope
        ),
        "backlog": backlog_context(api, user, runtime.settings.backlog_alert_threshold),
    }
    return render(request, "home.html", context)


@router.get("/open")
def open_course(user: UserDep, course_id: str = "") -> Response:
    """Where the home page's "open a course" form leads."""
    course_id = course_id.strip()
    if not course_id:
        return redirect(f"{PREFIX}/")
    check_course(user, course_id)
    return redirect(f"{PREFIX}/courses/{url_part(course_id)}")


@router.get("/courses/{course_id}")
def course(
    request: Request,
    user: UserDep,
    course_id: str,
    offset: int = 0,
    item_id: Annotated[str, Query(max_length=255)] = "",
    prompt: Annotated[str, Query(max_length=10_000)] = "",
) -> Response:
    """A course's items, the form to create one (prefilled from ``item_id`` and ``prompt``,
    as a course platform's deep linking asks), and the course's backlog."""
    check_course(user, course_id)
    prefill = {"item_id": item_id, "prompt": prompt} if item_id or prompt else None
    return render(
        request,
        "course.html",
        course_context(request, user, course_id, offset=max(0, offset), form=prefill),
    )


@router.get("/courses/{course_id}/items/{item_id}")
def item(request: Request, user: UserDep, course_id: str, item_id: str) -> Response:
    """An item: its rubric, training (followed live), upload form and backlog."""
    check_course(user, course_id)
    return render(request, "item.html", item_context(request, user, course_id, item_id))


@router.get("/courses/{course_id}/items/{item_id}/training/{workflow_uuid}/status")
def training_status(
    user: UserDep, api: APIDep, course_id: str, item_id: str, workflow_uuid: str
) -> Response:
    """A training workflow's progress, polled by the item page while it runs."""
    check_course(user, course_id)
    check_permission(user, Permission.READ_TRAINING)
    workflow = api.get_training_workflow(workflow_uuid)
    if (workflow["course_id"], workflow["item_id"]) != (course_id, item_id):
        raise NotFoundError(
            f"no training workflow {workflow_uuid!r}",
            field="workflow_uuid",
            code="training_workflow_not_found",
        )
    shown = {
        "status": workflow["status"],
        "criteria_done": workflow["criteria_done"],
        "criteria_total": workflow["criteria_total"],
        "attempts": workflow["attempts"],
        "last_error": readable_error(user, workflow["last_error"]),
    }
    return JSONResponse(shown, headers={"Cache-Control": "no-store"})


@router.get("/courses/{course_id}/items/{item_id}/quality")
def quality(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    item_id: str,
    chosen_set: Annotated[str | None, Query(alias="set")] = None,
) -> Response:
    """A classifier set's cross-validated quality per criterion, with its charts."""
    check_course(user, course_id)
    check_permission(user, Permission.READ_TRAINING)
    item = api.get_item(course_id, item_id)
    sets = api.list_classifier_sets(course_id, item_id, limit=PAGE)
    listed = sets["classifier_sets"]
    wanted = chosen_set or sets["current_uuid"]
    chosen = next((s for s in listed if s["uuid"] == wanted), listed[0] if listed else None)
    criteria = []
    metrics = chosen["metrics"] if chosen else None
    for name, values in (metrics["criteria"] if metrics else {}).items():
        criteria.append(
            {
                "name": name,
                "values": values,
                "heat_map": charts.heat_map(
                    values.get("confusion") or {}, caption=f"{name}: human vs predicted points"
                ),
                "bar_chart": charts.bar_chart(
                    values.get("distribution") or {},
                    caption=f"{name}: human scores of the training examples",
                ),
            }
        )
    context = {
        "course_id": course_id,
        "item_id": item_id,
        "item": item,
        "sets": sets,
        "chosen": chosen,
        "metrics": metrics,
        "criteria": criteria,
    }
    return render(request, "quality.html", context)


@router.get("/courses/{course_id}/items/{item_id}/submissions")
def submissions(
    request: Request,
    user: UserDep,
    api: APIDep,
    course_id: str,
    item_id: str,
    status: Annotated[str, Query()] = "",
    low_confidence: Annotated[str, Query()] = "",
    offset: int = 0,
) -> Response:
    """An item's submissions with their grades and confidences, filtered."""
    check_course(user, course_id)
    check_permission(user, Permission.READ_RESULTS)
    item = api.get_item(course_id, item_id)
    chosen_status: WorkflowStatus | None = status or None  # type: ignore[assignment]
    threshold = LOW_CONFIDENCE if low_confidence else None
    page = api.list_submissions(
        course_id,
        item_id,
        offset=max(0, offset),
        limit=PAGE,
        status=chosen_status,
        confidence_below=threshold,
    )
    context = {
        "course_id": course_id,
        "item_id": item_id,
        "item": item,
        "criteria": [c["name"] for c in item["rubric"]["criteria"] if c["options"]],
        "page": page,
        "filters": {"status": status, "low_confidence": bool(low_confidence)},
        "low_confidence": LOW_CONFIDENCE,
    }
    return render(request, "submissions.html", context)
