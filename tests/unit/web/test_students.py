"""Erasure and the audit log over HTTP and in the dashboard: staff and admins of a course
erase a student there; only admins read the audit log."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from tests.conftest import row_counts
from tests.unit.web.conftest import auth


def test_staff_of_the_course_erase_a_student_over_http(http, api, tokens, world):
    student = api.get_submission(world["a"].submission_uuid)["student_id"]
    outsider = http.post(
        "/api/v1/courses/course-a/erasures",
        json={"student_id": student},
        headers=auth(tokens["staff_b"]),
    )
    assert outsider.status_code == 403
    response = http.post(
        "/api/v1/courses/course-a/erasures",
        json={"student_id": student},
        headers=auth(tokens["staff_a"]),
    )
    assert response.status_code == 200
    assert response.json()["submissions"] == 2  # the graded one and the waiting one
    assert (
        http.get(
            f"/api/v1/submissions/{world['a'].submission_uuid}", headers=auth(tokens["admin"])
        ).status_code
        == 404
    )
    log = http.get("/api/v1/audit", headers=auth(tokens["admin"])).json()
    erased = [r for r in log["audit_records"] if r["action"] == "student_erased"]
    assert erased[0]["actor"] == "staff A"
    assert student not in str(erased)
    assert http.get("/api/v1/audit", headers=auth(tokens["staff_a"])).status_code == 403
    named = http.get(
        "/api/v1/audit",
        params={"course_id": "course-a", "student_id": student},
        headers=auth(tokens["admin"]),
    ).json()
    assert named["total"] == 1


def test_an_invalid_erasure_is_422_naming_the_field(http, runtime, tokens, world):
    before = row_counts(runtime)
    response = http.post(
        "/api/v1/courses/course-a/erasures", json={"student_id": ""}, headers=auth(tokens["admin"])
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "student_data_invalid",
        "student_id",
    )
    bad_action = http.get("/api/v1/audit", params={"action": "nope"}, headers=auth(tokens["admin"]))
    assert (bad_action.status_code, bad_action.json()["code"]) == (422, "audit_invalid")
    assert row_counts(runtime) == before


def signed_in(app, token):
    client = TestClient(app, headers={"Origin": "http://testserver"})
    client.post("/dashboard/sign-in", data={"token": token})
    return client


def test_the_dashboard_erases_only_once_confirmed(app, api, runtime, tokens, world):
    student = api.get_submission(world["a"].submission_uuid)["student_id"]
    staff = signed_in(app, tokens["staff_a"])
    page = staff.get("/dashboard/courses/course-a")
    assert 'id="erase-student"' in page.text
    before = row_counts(runtime)
    unconfirmed = staff.post("/dashboard/courses/course-a/erasures", data={"student_id": student})
    assert unconfirmed.status_code == 422
    assert "tick the box to confirm" in html.unescape(unconfirmed.text)
    assert row_counts(runtime) == before
    done = staff.post(
        "/dashboard/courses/course-a/erasures",
        data={"student_id": student, "confirm": "erase"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    # The student's id stays out of the URL (and so out of access logs).
    assert student not in done.headers["location"]
    shown = staff.get(done.headers["location"])
    assert "Erased 2 submissions, 1 assessment and 2 grading workflows" in shown.text
    assert row_counts(runtime)["submissions"] == before["submissions"] - 2


def test_the_erasure_form_is_not_offered_to_other_courses(app, tokens, world):
    staff_b = signed_in(app, tokens["staff_b"])
    refused = staff_b.post(
        "/dashboard/courses/course-a/erasures", data={"student_id": "x", "confirm": "erase"}
    )
    assert refused.status_code == 403


def test_http_client_erases_and_reads_the_audit_log(app, api, tokens, world):
    from essaygrader.client import HttpClient

    student = api.get_submission(world["b"].submission_uuid)["student_id"]
    with HttpClient("http://testserver", tokens["admin"], http=TestClient(app)) as remote:
        erased = remote.erase_student("course-b", student)
        assert erased["submissions"] == 2
        page = remote.list_audit_records(action="student_erased")
    assert page == api.list_audit_records(action="student_erased")
    assert page["audit_records"][0]["uuid"] == erased["audit_uuid"]
