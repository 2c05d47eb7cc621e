"""Staff grading and review over HTTP: HttpClient answers as the in-process API does,
errors name the field, and a failed request changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from essaygrader.client import HttpClient
from essaygrader.errors import ConflictError, RequestError
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples
from tests.unit.web.conftest import auth

GOOD = {"ideas": "good", "conventions": "few errors"}


@pytest.fixture
def remote(app, tokens):
    with HttpClient("http://testserver", tokens["staff_a"], http=TestClient(app)) as client:
        yield client


def test_http_client_grades_reviews_and_trains_like_the_api(remote, api, task_queue):
    remote.create_item("course-a", "item-1", RUBRIC, review_policy="all")
    assert remote.get_item("course-a", "item-1") == api.get_item("course-a", "item-1")
    uuids = [
        api.submit("course-a", "item-1", f"s{n}", essay(20 + 40 * (n % 3), n))["submission_uuid"]
        for n in range(24)
    ]
    levels = ({"ideas": "poor", "conventions": "many errors"}, GOOD, GOOD)
    for n, uuid in enumerate(uuids[:21]):
        staff = remote.create_staff_assessment(
            uuid, levels[n % 3], feedback={"feedback": "Fine."}, overall_feedback="Ok."
        )
        assert staff["scorer_id"] == "staff A"
        assert remote.get_latest_assessment(uuid) == api.get_latest_assessment(uuid) == staff
    started = remote.train_classifiers("course-a", "item-1", from_graded_submissions=True)
    assert started["examples_from_graded"] == 21
    task_queue.join()
    held = uuids[22]
    assert remote.get_submission(held) == api.get_submission(held)
    assert remote.get_submission(held)["review_status"] == "pending"
    assert remote.list_reviews("course-a", "item-1") == api.list_reviews("course-a", "item-1")
    assert remote.list_assessments(held) == api.list_assessments(held)
    confirmed = remote.review_assessment(held, "confirm")
    assert confirmed == api.get_latest_assessment(held)
    with pytest.raises(ConflictError) as caught:
        remote.review_assessment(held)
    assert caught.value.code == "nothing_to_review"
    updated = remote.update_item("course-a", "item-1", review_policy="flagged")
    assert updated["review_policy"] == "flagged"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"options_selected": {"ideas": "good"}}, "options_selected.conventions"),
        ({"options_selected": {**GOOD, "ideas": "superb"}}, "options_selected.ideas"),
        ({"options_selected": GOOD, "feedback": {"style": "x"}}, "feedback.style"),
        ({"options_selected": GOOD, "comment": "x"}, "comment"),
    ],
)
def test_a_bad_staff_assessment_is_refused_naming_the_field(
    http, runtime, tokens, api, body, field
):
    api.create_item("course-a", "item-1", RUBRIC)
    uuid = api.submit("course-a", "item-1", "s1", essay(30))["submission_uuid"]
    before = row_counts(runtime)
    response = http.post(
        f"/api/v1/submissions/{uuid}/staff-assessment", json=body, headers=auth(tokens["staff_a"])
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert row_counts(runtime) == before


def test_an_unknown_review_action_is_refused(http, tokens, api, task_queue):
    api.create_item("course-a", "item-1", RUBRIC, review_policy="all")
    api.train_classifiers("course-a", "item-1", examples(30))
    uuid = api.submit("course-a", "item-1", "s1", essay(30))["submission_uuid"]
    task_queue.join()
    response = http.post(
        f"/api/v1/submissions/{uuid}/review",
        json={"action": "reject"},
        headers=auth(tokens["admin"]),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "action"
    assert api.get_submission(uuid)["review_status"] == "pending"


def test_training_needs_examples_or_graded_submissions_over_http(remote, api):
    api.create_item("course-a", "item-1", RUBRIC)
    with pytest.raises(RequestError) as caught:
        remote.train_classifiers("course-a", "item-1")
    assert caught.value.field == "examples"
