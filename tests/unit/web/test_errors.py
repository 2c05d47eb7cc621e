"""Every class of error leaves as ``{"code", "message", "field"}`` with its status, and a
request that fails changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from essaygrader.errors import InternalError
from essaygrader.web.app import create_app
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples, rubric
from tests.unit.web.conftest import auth


@pytest.fixture
def admin(tokens):
    return auth(tokens["admin"])


@pytest.fixture
def item(api):
    return api.create_item("course-a", "item-1", RUBRIC)


def assert_error(response, status, code, field=None, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field
    if field:
        assert body["message"].startswith(f"{field}: ")
    if message:
        assert message in body["message"]
    return body


def test_malformed_json_is_400(http, runtime, admin, item):
    before = row_counts(runtime)
    response = http.post(
        "/api/v1/courses/course-a/items",
        content=b'{"item_id": "x", ',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "malformed_request", message="the body is not valid JSON")
    assert row_counts(runtime) == before


@pytest.mark.parametrize(
    ("method", "path", "code", "field"),
    [
        ("GET", "/api/v1/courses/course-a/items/nope", "item_not_found", "item_id"),
        ("GET", "/api/v1/courses/course-a/items/nope/classifier-set", "item_not_found", "item_id"),
        ("GET", "/api/v1/submissions/nope", "submission_not_found", "submission_uuid"),
        ("GET", "/api/v1/submissions/nope/scores", "submission_not_found", "submission_uuid"),
        ("GET", "/api/v1/workflows/training/nope", "training_workflow_not_found", "workflow_uuid"),
        ("GET", "/api/v1/workflows/grading/nope", "grading_workflow_not_found", "workflow_uuid"),
        ("POST", "/api/v1/courses/course-a/items/nope/reschedule", "item_not_found", "item_id"),
        ("GET", "/api/v1/no-such-thing", "not_found", None),
    ],
)
def test_not_found_is_404(http, admin, item, method, path, code, field):
    assert_error(http.request(method, path, headers=admin), 404, code, field)


def test_wrong_method_is_405(http, admin):
    assert_error(http.delete("/api/v1/items", headers=admin), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/items", "GET"),
        # Two routes share these paths: the header names both methods.
        ("DELETE", "/api/v1/courses/course-a/items/item-1", "GET, PATCH"),
        ("PUT", "/api/v1/courses/course-a/items/item-1/submissions", "GET, POST"),
        ("PUT", "/api/v1/courses/course-a/items/item-1/training", "GET, POST"),
        ("POST", "/healthz", "GET"),
        ("PATCH", "/openapi.json", "GET, HEAD"),
        ("DELETE", "/dashboard/static/dashboard.css", "GET, HEAD"),
    ],
)
def test_405_names_every_allowed_method(http, admin, item, method, path, allow):
    response = http.request(method, path, headers=admin)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    for allowed in allow.split(", "):
        if allowed != "HEAD":
            assert http.request(allowed, path, headers=admin).status_code != 405


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"prompt": None}, "prompt", 'send "" for no prompt'),
        ({"published": None}, "published", "true or false"),
        ({"rubric": None}, "rubric", "must be an object"),
        ({"prompt": "x" * 100_001}, "prompt", "at most"),
    ],
)
def test_null_where_an_item_needs_a_value_is_422_naming_it(
    http, runtime, admin, item, body, field, message
):
    before = row_counts(runtime)
    response = http.patch("/api/v1/courses/course-a/items/item-1", json=body, headers=admin)
    assert_error(response, 422, "item_invalid", field, message)
    assert row_counts(runtime) == before
    assert http.get("/api/v1/courses/course-a/items/item-1", headers=admin).json()["prompt"] == ""


def test_conflicts_are_409(http, runtime, admin, item, task_queue):
    before = row_counts(runtime)
    again = http.post(
        "/api/v1/courses/course-a/items",
        json={"item_id": "item-1", "rubric": RUBRIC},
        headers=admin,
    )
    assert_error(again, 409, "item_exists", "item_id")
    assert row_counts(runtime) == before
    http.patch("/api/v1/courses/course-a/items/item-1", json={"published": True}, headers=admin)
    runtime.client.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    changed = rubric()
    changed["criteria"][0]["options"][0]["points"] = 7
    before = row_counts(runtime)
    refused = http.patch(
        "/api/v1/courses/course-a/items/item-1", json={"rubric": changed}, headers=admin
    )
    assert_error(refused, 409, "rubric_change_refused", "rubric")
    assert row_counts(runtime) == before


@pytest.mark.parametrize(
    ("body", "code", "field", "message"),
    [
        # Caught by the schema: the route's area code all the same.
        ({"rubric": RUBRIC}, "item_invalid", "item_id", "field required"),
        ({"item_id": 7, "rubric": RUBRIC}, "item_invalid", "item_id", "valid string"),
        (
            {"item_id": "x", "rubric": {"criteria": [{"name": "a", "options": "none"}]}},
            "item_invalid",
            "rubric.criteria[0].options",
            "valid list",
        ),
        (
            {"item_id": "x", "rubric": RUBRIC, "published": "yes"},
            "item_invalid",
            "published",
            "valid boolean",
        ),
        ({"item_id": "x", "rubric": RUBRIC, "colour": 1}, "item_invalid", "colour", "extra"),
        # Caught by the Python API.
        (
            {"item_id": "x", "rubric": rubric(criteria=[RUBRIC["criteria"][0]] * 2)},
            "item_invalid",
            "rubric.criteria[1].name",
            "duplicate criterion name 'ideas'",
        ),
        (
            {"item_id": "x", "rubric": RUBRIC, "algorithm_id": "nope"},
            "unknown_algorithm",
            "algorithm_id",
            "registered: default, ease, fake",
        ),
        ({"item_id": "a/b", "rubric": RUBRIC}, "item_invalid", "item_id", "must not contain '/'"),
        ({"item_id": "x", "rubric": RUBRIC, "prompt": "nul\x00"}, "item_invalid", "prompt", "NUL"),
    ],
)
def test_invalid_items_are_422_naming_the_field(http, runtime, admin, body, code, field, message):
    before = row_counts(runtime)
    response = http.post("/api/v1/courses/course-a/items", json=body, headers=admin)
    assert_error(response, 422, code, field, message)
    assert row_counts(runtime) == before


def _scale(count):
    options = [{"name": f"{p} points", "points": p} for p in range(count)]
    return {"criteria": [{"name": "score", "options": options}]}


def test_a_0_to_100_scale_is_accepted_and_102_options_refused(http, runtime, admin):
    created = http.post(
        "/api/v1/courses/course-a/items",
        json={"item_id": "percent", "rubric": _scale(101)},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert len(created.json()["rubric"]["criteria"][0]["options"]) == 101
    before = row_counts(runtime)
    refused = http.post(
        "/api/v1/courses/course-a/items",
        json={"item_id": "too-wide", "rubric": _scale(102)},
        headers=admin,
    )
    assert_error(refused, 422, "item_invalid", "rubric.criteria[0].options", "101")
    assert row_counts(runtime) == before


def test_invalid_examples_name_the_example(http, runtime, admin, item):
    rows = examples(30)
    rows[3]["options_selected"]["ideas"] = "great"
    before = row_counts(runtime)
    response = http.post(
        "/api/v1/courses/course-a/items/item-1/training", json={"examples": rows}, headers=admin
    )
    assert_error(
        response, 422, "training_invalid", "examples[3].options_selected.ideas", "unknown option"
    )
    few = http.post(
        "/api/v1/courses/course-a/items/item-1/training",
        json={"examples": examples(3)},
        headers=admin,
    )
    assert_error(few, 422, "training_invalid", "examples", "at least 20")
    assert row_counts(runtime) == before


def test_a_batch_with_one_bad_essay_stores_none(http, runtime, admin, item):
    batch = [{"student_id": f"s{i}", "answer": essay(30, i)} for i in range(5)]
    batch[3]["answer"] = "   "
    before = row_counts(runtime)
    response = http.post(
        "/api/v1/courses/course-a/items/item-1/submissions/batch",
        json={"submissions": batch},
        headers=admin,
    )
    assert_error(response, 422, "grading_invalid", "submissions[3].answer", "must not be empty")
    bad_shape = http.post(
        "/api/v1/courses/course-a/items/item-1/submissions",
        json={"student_id": "s", "answer": {"parts": [1]}},
        headers=admin,
    )
    assert_error(bad_shape, 422, "grading_invalid", "answer.parts[0]", "must be a string")
    assert row_counts(runtime) == before


def test_long_essays_are_refused_by_the_api_limit(http, runtime, admin, item):
    limit = runtime.settings.max_essay_chars
    response = http.post(
        "/api/v1/courses/course-a/items/item-1/submissions",
        json={"student_id": "s", "answer": "word " * (limit // 5 + 1)},
        headers=admin,
    )
    assert_error(response, 422, "grading_invalid", "answer", f"the limit is {limit:,}")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/items", {"limit": 0}, "limit"),
        ("/api/v1/items", {"limit": 1001}, "limit"),
        ("/api/v1/items", {"offset": -1}, "offset"),
        ("/api/v1/items", {"offset": "many"}, "offset"),
        ("/api/v1/courses/course-a/items/item-1/submissions", {"status": "lost"}, "status"),
        (
            "/api/v1/courses/course-a/items/item-1/submissions",
            {"confidence_below": 2},
            "confidence_below",
        ),
        ("/api/v1/courses/course-a/items/item-1/reschedule", {"task_type": "x"}, "task_type"),
        ("/api/v1/status", {"item_id": "item-1"}, "course_id"),
    ],
)
def test_invalid_query_parameters_are_422(http, admin, item, path, params, field):
    method = "POST" if path.endswith("reschedule") else "GET"
    response = http.request(method, path, params=params, headers=admin)
    body = assert_error(response, 422, response.json()["code"], field)
    assert body["code"].endswith("_invalid")


def test_bodies_over_the_cap_are_413_and_change_nothing(runtime, tokens, item):
    small = runtime.settings.with_overrides(http_max_body_bytes=2000)
    runtime.settings = small
    app = create_app(runtime)
    before = row_counts(runtime)
    with TestClient(app) as http:
        payload = {"student_id": "s", "answer": essay(600)}
        declared = http.post(
            "/api/v1/courses/course-a/items/item-1/submissions",
            json=payload,
            headers=auth(tokens["admin"]),
        )
        assert_error(declared, 413, "payload_too_large", message="2,000 bytes")

        def chunks():
            yield b'{"student_id": "s", "answer": "'
            for _ in range(50):
                yield b"word " * 20
            yield b'"}'

        streamed = http.post(
            "/api/v1/courses/course-a/items/item-1/submissions",
            content=chunks(),
            headers={**auth(tokens["admin"]), "Content-Type": "application/json"},
        )
        assert_error(streamed, 413, "payload_too_large")
        fine = http.post(
            "/api/v1/courses/course-a/items/item-1/submissions",
            json={"student_id": "s", "answer": essay(20)},
            headers=auth(tokens["admin"]),
        )
        assert fine.status_code == 201
    counts = row_counts(runtime)
    assert counts["submissions"] == before["submissions"] + 1


def test_internal_errors_are_500_without_details(http, runtime, admin, item, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise InternalError(
            "database error while reading item: OperationalError: connection to db.internal:5432",
            code="item_internal_error",
        )

    monkeypatch.setattr(runtime.client, "get_item", broken)
    response = http.get("/api/v1/courses/course-a/items/item-1", headers=admin)
    body = assert_error(response, 500, "item_internal_error")
    assert "db.internal" not in body["message"]
    assert "db.internal" in caplog.text  # kept for operators


def test_unexpected_exceptions_are_500_too(runtime, tokens, item, monkeypatch):
    monkeypatch.setattr(runtime.client, "list_items", lambda *a, **k: 1 / 0)
    with TestClient(create_app(runtime), raise_server_exceptions=False) as http:
        response = http.get("/api/v1/items", headers=auth(tokens["admin"]))
    body = assert_error(response, 500, "internal_error")
    assert "ZeroDivisionError" not in body["message"]
