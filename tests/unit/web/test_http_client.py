"""``HttpClient`` has the in-process API's methods, arguments, return values and errors,
so a platform switches between them by one line."""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient

from essaygrader.api.ai import AIGradingAPI
from essaygrader.client import HttpClient
from essaygrader.errors import (
    ConflictError,
    ForbiddenError,
    InternalError,
    NotFoundError,
    RequestError,
)
from tests.factories import RUBRIC, essay, examples

# Calls that only make sense inside the service.
SERVER_ONLY = {"statistics"}
# Arguments that only make sense inside the service: over HTTP the token decides (which
# courses, whose idempotency keys, who grades, reviews or acts: the token's name).
SERVER_ONLY_ARGUMENTS = {"course_ids", "scorer_id", "reviewer_id", "idempotency_owner", "actor"}


def public_methods(cls):
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_same_methods_and_arguments_as_the_in_process_api():
    remote = public_methods(HttpClient)
    local = public_methods(AIGradingAPI)
    assert set(local) - SERVER_ONLY == set(remote) - {"close"}
    for name, method in remote.items():
        if name == "close":
            continue
        local_parameters = [
            p
            for p in inspect.signature(local[name]).parameters.values()
            if p.name not in SERVER_ONLY_ARGUMENTS
        ]
        remote_parameters = list(inspect.signature(method).parameters.values())
        assert [(p.name, p.kind, p.default) for p in remote_parameters] == [
            (p.name, p.kind, p.default) for p in local_parameters
        ], name


@pytest.fixture
def remote(app, tokens):
    http = TestClient(app)
    with HttpClient("http://testserver", tokens["admin"], http=http) as client:
        yield client


def test_a_whole_flow_gives_the_same_answers(remote, api, task_queue):
    created = remote.create_item("course a", "item/1?".replace("/", "-"), RUBRIC, prompt="P.")
    assert created == api.get_item("course a", "item-1?")
    updated = remote.update_item("course a", "item-1?", published=True, min_qwk=0.2)
    assert updated["published"] is True
    assert remote.get_item("course a", "item-1?") == api.get_item("course a", "item-1?")
    assert remote.list_items() == api.list_items()
    assert remote.list_items("course a", offset=0, limit=1) == api.list_items("course a", limit=1)
    assert remote.list_courses() == api.list_courses()

    early = remote.submit("course a", "item-1?", "s0", essay(30), external_id="x-0")
    assert early["status"] == "waiting"
    checked = remote.check_training_examples("course a", "item-1?", examples(30))
    assert checked == api.check_training_examples("course a", "item-1?", examples(30))
    started = remote.train_classifiers("course a", "item-1?", examples(30))
    uuid = started["training_workflow_uuid"]
    assert not remote.is_training_workflow_complete(uuid)
    task_queue.join()
    assert remote.is_training_workflow_complete(uuid)
    assert remote.get_training_workflow(uuid) == api.get_training_workflow(uuid)
    assert remote.list_training_workflows("course a", "item-1?") == api.list_training_workflows(
        "course a", "item-1?"
    )
    info = remote.get_classifier_set_info("course a", "item-1?")
    assert info == api.get_classifier_set_info("course a", "item-1?")
    assert remote.list_classifier_sets("course a", "item-1?")["current_uuid"] == info["uuid"]

    progress = []
    batch = remote.submit_many(
        "course a",
        "item-1?",
        [
            {"student_id": "s1", "answer": essay(80, 1)},
            {"student_id": "s2", "answer": {"text": essay(20, 2)}, "external_id": "x-2"},
        ],
        progress=progress.append,
    )
    assert [b["status"] for b in batch] == ["scheduled", "scheduled"]
    assert progress == [2]
    task_queue.join()
    for submitted in [early, *batch]:
        sub = submitted["submission_uuid"]
        assert remote.get_submission(sub) == api.get_submission(sub)
        assert remote.get_latest_assessment(sub) == api.get_latest_assessment(sub)
        assert remote.get_assessment_scores_by_criteria(
            sub
        ) == api.get_assessment_scores_by_criteria(sub)
        workflow = submitted["grading_workflow_uuid"]
        assert remote.get_grading_workflow(workflow) == api.get_grading_workflow(workflow)
        assert remote.is_grading_workflow_complete(workflow)
    uuids = [b["grading_workflow_uuid"] for b in batch] + ["unknown"]
    assert remote.get_workflow_statuses(uuids) == api.get_workflow_statuses(uuids)
    assert remote.get_workflow_statuses([uuid], task_type="train") == {uuid: "complete"}
    for kwargs in ({}, {"status": "complete"}, {"confidence_below": 0.9, "limit": 2}):
        assert remote.list_submissions("course a", "item-1?", **kwargs) == api.list_submissions(
            "course a", "item-1?", **kwargs
        )
    assert remote.grade_next("course a", "item-1?", limit=2) == api.grade_next(
        "course a", "item-1?", limit=2
    )
    assert remote.reschedule_unfinished_tasks("course a", "item-1?", "grade") == {
        "training_scheduled": 0,
        "grading_scheduled": 0,
        "grading_waiting": 0,
        "training_not_retried": 0,
    }
    assert remote.reschedule_unfinished_tasks("course a")["training_scheduled"] == 0
    status = remote.status("course a", "item-1?")
    expected = api.status("course a", "item-1?")
    for answer in (status, expected):
        for oldest in answer["oldest_unfinished"].values():
            assert oldest is None
        answer.pop("workers")
    assert status == expected
    assert set(remote.status()) == {
        "workflows",
        "oldest_unfinished",
        "workers",
        "queues",
        "outbox",
    }


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda c: c.get_item("course-a", "missing"), NotFoundError, "item_id"),
        (lambda c: c.create_item("course-a", "item-1", RUBRIC), ConflictError, "item_id"),
        (
            lambda c: c.create_item("course-a", "x", {"criteria": []}),
            RequestError,
            "rubric.criteria",
        ),
        (
            lambda c: c.create_item("course-a", "x", RUBRIC, algorithm_id="no"),
            RequestError,
            "algorithm_id",
        ),
        (lambda c: c.create_item(" course", "x", RUBRIC), RequestError, "course_id"),
        (lambda c: c.get_item("course-a", 7), RequestError, "item_id"),
        (
            lambda c: c.train_classifiers("course-a", "item-1", examples(3)),
            RequestError,
            "examples",
        ),
        (lambda c: c.get_training_workflow("nope"), NotFoundError, "workflow_uuid"),
        (lambda c: c.submit("course-a", "item-1", "s", ""), RequestError, "answer"),
        (lambda c: c.submit("course-a", "item-1", "", "text"), RequestError, "student_id"),
        (lambda c: c.get_submission("nope"), NotFoundError, "submission_uuid"),
        (
            lambda c: c.get_workflow_statuses(["x"], task_type="other"),
            RequestError,
            "task_type",
        ),
        (
            lambda c: c.list_submissions("course-a", "item-1", status="x"),
            RequestError,
            "status",
        ),
    ],
)
def test_the_same_errors(remote, api, call, error, field):
    api.create_item("course-a", "item-1", RUBRIC)
    with pytest.raises(error) as local:
        call(api)
    with pytest.raises(error) as over_http:
        call(remote)
    assert over_http.value.field == local.value.field == field
    assert over_http.value.code == local.value.code


def test_access_errors_come_back_as_such(app, runtime, tokens, api):
    api.create_item("course-b", "item-1", RUBRIC)
    http = TestClient(app)
    with HttpClient("http://testserver", tokens["staff_a"], http=http) as staff_a:
        with pytest.raises(ForbiddenError) as denied:
            staff_a.get_item("course-b", "item-1")
        assert denied.value.field == "course_id"
        assert staff_a.list_items()["total"] == 0
    revoked = HttpClient("http://testserver", tokens["revoked"], http=http)
    with pytest.raises(ForbiddenError):
        revoked.list_items()
    admin = HttpClient("http://testserver", tokens["admin"], http=http)
    with pytest.raises(ConflictError):
        admin.create_item("course-b", "item-1", RUBRIC)


def test_an_unreachable_service():
    with (
        HttpClient("http://127.0.0.1:9", "token", timeout=2) as client,
        pytest.raises(InternalError) as raised,
    ):
        client.list_items()
    assert raised.value.retryable
    assert "cannot reach essaygrader at http://127.0.0.1:9" in str(raised.value)
