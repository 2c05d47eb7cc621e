"""A token for course A never reads, lists or changes anything of course B, and cannot
even tell whether course B's records exist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from essaygrader.db import models
from tests.unit.web.conftest import Course, auth
from tests.unit.web.route_cases import CASES

# Ids that exist nowhere, shaped like course b's.
MISSING = Course(
    course_id="course-zz",
    item_id="item-zz",
    training_workflow_uuid="00000000-0000-4000-8000-000000000001",
    classifier_set_uuid="00000000-0000-4000-8000-000000000002",
    submission_uuid="00000000-0000-4000-8000-000000000003",
    grading_workflow_uuid="00000000-0000-4000-8000-000000000004",
    waiting_submission_uuid="00000000-0000-4000-8000-000000000005",
)

COURSE_B_TABLES = (
    models.ItemRecord,
    models.TrainingWorkflowRecord,
    models.ClassifierSetRecord,
    models.SubmissionRecord,
    models.GradingWorkflowRecord,
)


def course_b_snapshot(runtime) -> dict[str, list[tuple]]:
    """Every column of every course-b row of the tables that carry a course."""
    snapshot = {}
    with runtime.database.transaction(read_only=True) as session:
        for model in COURSE_B_TABLES:
            columns = [c.key for c in model.__table__.columns]
            rows = session.scalars(select(model).where(model.course_id == "course-b")).all()
            snapshot[model.__tablename__] = sorted(
                tuple(str(getattr(r, c)) for c in columns) for r in rows
            )
        assessments = session.scalars(
            select(models.AssessmentRecord)
            .join(models.SubmissionRecord)
            .where(models.SubmissionRecord.course_id == "course-b")
        ).all()
        snapshot["assessments"] = sorted(a.uuid for a in assessments)
    return snapshot


def _anonymised(body: dict, course: Course) -> dict:
    """A body with the addressed ids replaced, to compare a foreign record's answer with
    a missing one's."""
    text = body["message"]
    for value in vars(course).values():
        text = text.replace(value, "<id>")
    return {**body, "message": text}


@pytest.mark.parametrize("role", ["staff_a", "platform_a"])
def test_every_route_with_course_b_ids(role, http, runtime, tokens, world):
    before = course_b_snapshot(runtime)
    assert before["submissions"]  # there is something to protect
    tried = 0
    for case in CASES:
        if case.public or role not in case.allowed:
            continue
        params = {k: "course-b" if v == "course-a" else v for k, v in case.params.items()}
        responses = {}
        for name, course in (("foreign", world["b"]), ("missing", MISSING)):
            responses[name] = http.request(
                case.method,
                case.path(course),
                json=case.body(role) if case.body else None,
                params={k: course.course_id if v == "course-b" else v for k, v in params.items()},
                headers=auth(tokens[role]),
            )
        foreign, missing = responses["foreign"], responses["missing"]
        if foreign.status_code < 400:
            # Routes not addressed by course answer, limited to course a.
            assert case.route in ("/api/v1/courses", "/api/v1/items", "/api/v1/status") or (
                case.route == "/api/v1/workflows/statuses"
            ), case.name
            assert "course-b" not in foreign.text, case.name
            continue
        tried += 1
        assert foreign.status_code in (403, 404), (case.name, foreign.text)
        # The same answer as for ids that exist nowhere: nothing to learn from it.
        assert foreign.status_code == missing.status_code, case.name
        assert _anonymised(foreign.json(), world["b"]) == _anonymised(missing.json(), MISSING)
    assert tried == {"staff_a": 25, "platform_a": 6}[role]
    assert course_b_snapshot(runtime) == before


def test_lists_show_only_the_tokens_courses(http, api, tokens, world):
    staff_a = auth(tokens["staff_a"])
    items = http.get("/api/v1/items", headers=staff_a).json()
    assert {i["course_id"] for i in items["items"]} == {"course-a"}
    assert items["total"] == 2
    courses = http.get("/api/v1/courses", headers=staff_a).json()
    assert courses["courses"] == [{"course_id": "course-a", "items": 2}]
    assert courses["total"] == 1
    both = http.get("/api/v1/courses", headers=auth(tokens["staff_ab"])).json()
    assert [c["course_id"] for c in both["courses"]] == ["course-a", "course-b"]
    everything = http.get("/api/v1/items", headers=auth(tokens["admin"])).json()
    assert everything["total"] == 4
    # Paging never reaches past the token's courses either.
    paged = http.get("/api/v1/items", params={"offset": 1, "limit": 1}, headers=staff_a).json()
    assert [(i["course_id"], i["item_id"]) for i in paged["items"]] == [("course-a", "item-2")]


def test_statuses_leave_out_other_courses_workflows(http, tokens, world):
    asked = [world["a"].grading_workflow_uuid, world["b"].grading_workflow_uuid]
    for role, visible in (
        ("platform_a", {world["a"].grading_workflow_uuid}),
        ("platform_b", {world["b"].grading_workflow_uuid}),
        ("admin", set(asked)),
    ):
        answer = http.post(
            "/api/v1/workflows/statuses",
            json={"workflow_uuids": asked},
            headers=auth(tokens[role]),
        ).json()
        assert set(answer) == visible
    trained = [world["a"].training_workflow_uuid, world["b"].training_workflow_uuid]
    answer = http.post(
        "/api/v1/workflows/statuses",
        json={"workflow_uuids": trained, "task_type": "train"},
        headers=auth(tokens["staff_b"]),
    ).json()
    assert answer == {world["b"].training_workflow_uuid: "complete"}


def test_the_backlog_counts_only_the_tokens_courses(http, api, tokens, world):
    mine = http.get("/api/v1/status", headers=auth(tokens["staff_a"])).json()
    assert mine["workflows"] == api.status(course_ids=["course-a"])["workflows"]
    assert mine["workflows"]["grade"]["waiting"] == 1
    everything = http.get("/api/v1/status", headers=auth(tokens["admin"])).json()
    assert everything["workflows"]["grade"]["waiting"] == 2
    item = http.get(
        "/api/v1/status",
        params={"course_id": "course-a", "item_id": "item-1"},
        headers=auth(tokens["staff_a"]),
    ).json()
    assert item["classifier_set"]["uuid"] == world["a"].classifier_set_uuid
    assert "classifier_set" not in mine


def test_course_rescheduling_touches_only_that_course(http, runtime, task_queue, tokens, world):
    before = course_b_snapshot(runtime)
    answer = http.post(
        "/api/v1/courses/course-a/reschedule", headers=auth(tokens["staff_ab"])
    ).json()
    assert answer == {
        "training_scheduled": 0,
        "grading_scheduled": 0,
        "grading_waiting": 1,
        "training_not_retried": 0,
    }
    assert course_b_snapshot(runtime) == before
