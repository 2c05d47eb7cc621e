"""The essay is ``text`` everywhere: in files, in the Python API and over HTTP, where
``answer`` stays accepted for existing clients."""

from __future__ import annotations

import pytest

from essaygrader.errors import RequestError
from tests.factories import essay
from tests.unit.web.conftest import auth

ITEM = "/api/v1/courses/course-a/items/item-1"


def test_http_takes_text_or_answer(http, tokens, world):
    headers = auth(tokens["platform_a"])
    for body in (
        {"student_id": "s1", "text": essay(40)},
        {"student_id": "s2", "answer": essay(40)},
        {"student_id": "s3", "answer": {"parts": ["One.", essay(30)]}},
    ):
        assert http.post(f"{ITEM}/submissions", json=body, headers=headers).status_code == 201
    batch = {"submissions": [{"student_id": "s4", "text": essay(30)}]}
    assert http.post(f"{ITEM}/submissions/batch", json=batch, headers=headers).status_code == 201


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"student_id": "s1"}, "text", "is required: the essay's text"),
        ({"student_id": "s1", "text": "a", "answer": "b"}, "answer", "not both"),
        ({"student_id": "s1", "text": " "}, "text", "must not be empty"),
    ],
)
def test_errors_name_the_essay_field(http, tokens, world, body, field, words):
    response = http.post(f"{ITEM}/submissions", json=body, headers=auth(tokens["platform_a"]))
    assert response.status_code == 422
    error = response.json()
    assert error["field"] == field
    assert words in error["message"]
    batch = {"submissions": [{"student_id": "ok", "text": "fine"}, body]}
    response = http.post(f"{ITEM}/submissions/batch", json=batch, headers=auth(tokens["admin"]))
    assert response.json()["field"] == f"submissions[1].{field}"


def test_the_openapi_document_only_gained(app):
    schema = app.openapi()["components"]["schemas"]["SubmissionIn"]
    assert {"student_id", "text", "answer", "external_id"} <= set(schema["properties"])
    assert schema["required"] == ["student_id"]


def test_python_api_takes_text(api, world):
    submitted = api.submit("course-a", "item-1", "s9", text=essay(30))
    assert api.get_submission(submitted["submission_uuid"])["text"] == essay(30)
    with pytest.raises(RequestError) as caught:
        api.submit_many("course-a", "item-1", [{"student_id": "s", "essay": "x"}])
    assert "unknown field 'essay'" in caught.value.message
