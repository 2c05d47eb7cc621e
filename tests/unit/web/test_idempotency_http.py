"""Idempotency-Key over HTTP, and HttpClient's retries: a retry answers the original
status and body and stores nothing; keys are per token; HttpClient sends a new key per
call and the same key on each retry after a timeout or a lost connection."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from essaygrader.client import HttpClient
from essaygrader.errors import ConflictError, InternalError, RequestError
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples
from tests.unit.web.conftest import auth

SUBMIT = "/api/v1/courses/course-a/items/item-1/submissions"


@pytest.fixture
def item(api):
    return api.create_item("course-a", "item-1", RUBRIC)


def keyed(token, key):
    return {**auth(token), "Idempotency-Key": key}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("", {"student_id": "s1", "text": essay(30)}, 201),
        ("/batch", {"submissions": [{"student_id": "s1", "text": essay(30)}] * 2}, 201),
    ],
)
def test_a_retry_answers_the_original_response(http, runtime, tokens, item, path, body, status):
    first = http.post(SUBMIT + path, json=body, headers=keyed(tokens["platform_a"], "k-1"))
    assert first.status_code == status
    counts = row_counts(runtime)
    again = http.post(SUBMIT + path, json=body, headers=keyed(tokens["platform_a"], "k-1"))
    assert (again.status_code, again.json()) == (status, first.json())
    assert row_counts(runtime) == counts
    # The key belongs to its token: another token's same key is its own request.
    other = http.post(SUBMIT + path, json=body, headers=keyed(tokens["admin"], "k-1"))
    assert other.status_code == status
    assert other.json() != first.json()


def test_training_retries_start_nothing(http, runtime, tokens, item):
    path = "/api/v1/courses/course-a/items/item-1/training"
    body = {"examples": examples(30)}
    first = http.post(path, json=body, headers=keyed(tokens["staff_a"], "t"))
    counts = row_counts(runtime)
    again = http.post(path, json=body, headers=keyed(tokens["staff_a"], "t"))
    assert (again.status_code, again.json()) == (202, first.json())
    assert row_counts(runtime) == counts


def test_the_same_key_with_another_body_is_422_naming_the_header(http, runtime, tokens, item):
    headers = keyed(tokens["platform_a"], "k")
    http.post(SUBMIT, json={"student_id": "s1", "text": essay(30)}, headers=headers)
    before = row_counts(runtime)
    response = http.post(SUBMIT, json={"student_id": "s1", "text": essay(31)}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["field"] == "Idempotency-Key"
    assert row_counts(runtime) == before


@pytest.mark.parametrize("key", ["", "a b", "x" * 256])
def test_malformed_keys_are_422(http, runtime, tokens, item, key):
    before = row_counts(runtime)
    response = http.post(
        SUBMIT, json={"student_id": "s1", "text": essay(30)}, headers=keyed(tokens["admin"], key)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid"
    assert response.json()["field"] == "Idempotency-Key"
    assert row_counts(runtime) == before


class LosingTransport(httpx.BaseTransport):
    """Delivers requests to the app, then loses the first ``lose`` answers (a timeout
    after the service did the work), and refuses ``refuse`` connections before any."""

    def __init__(self, inner: httpx.BaseTransport, *, lose: int = 0, refuse: int = 0) -> None:
        self.inner = inner
        self.lose = lose
        self.refuse = refuse
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse:
            self.refuse -= 1
            raise httpx.ConnectError("connection refused", request=request)
        self.sent.append(request)
        answered = self.inner.handle_request(request)
        content = answered.read()
        if self.lose:
            self.lose -= 1
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(answered.status_code, headers=answered.headers, content=content)


@pytest.fixture
def transport(app):
    return LosingTransport(TestClient(app)._transport)


@pytest.fixture
def remote(transport, tokens):
    http = httpx.Client(transport=transport, base_url="http://testserver")
    client = HttpClient("http://testserver", tokens["admin"], http=http, retry_backoff=0.0)
    client._sleep = lambda seconds: None
    return client


def test_http_client_sends_a_new_key_per_call(remote, transport, item):
    remote.submit("course-a", "item-1", "s1", text=essay(30))
    remote.submit("course-a", "item-1", "s1", text=essay(30))
    remote.submit_many("course-a", "item-1", [{"student_id": "s2", "text": essay(30)}])
    keys = [r.headers["idempotency-key"] for r in transport.sent]
    assert len(set(keys)) == 3
    remote.get_item("course-a", "item-1")
    assert "idempotency-key" not in transport.sent[-1].headers


def test_http_client_retries_a_lost_answer_with_the_same_key(remote, transport, runtime, item):
    transport.lose = 2
    submitted = remote.submit_many(
        "course-a", "item-1", [{"student_id": f"s{i}", "text": essay(30, i)} for i in range(5)]
    )
    assert len(transport.sent) == 3
    assert len({r.headers["idempotency-key"] for r in transport.sent}) == 1
    assert row_counts(runtime)["submissions"] == 5
    assert [s["submission_uuid"] for s in submitted] == [
        s["submission_uuid"] for s in remote.list_submissions("course-a", "item-1")["submissions"]
    ]
    transport.lose = 1
    started = remote.train_classifiers("course-a", "item-1", examples(30))
    assert (
        transport.sent[-1].headers["idempotency-key"]
        == transport.sent[-2].headers["idempotency-key"]
    )
    assert len(remote.list_training_workflows("course-a", "item-1")["training_workflows"]) == 1
    assert started["training_workflow_uuid"]


def test_http_client_gives_up_after_its_retries(remote, transport, runtime, item):
    transport.lose = 10
    with pytest.raises(InternalError) as raised:
        remote.submit("course-a", "item-1", "s1", text=essay(30))
    assert raised.value.code == "service_unreachable"
    assert len(transport.sent) == 1 + remote.retries
    assert row_counts(runtime)["submissions"] == 1


def test_writes_without_a_key_are_retried_only_when_nothing_was_sent(
    remote, transport, runtime, api
):
    transport.refuse = 2
    remote.create_item("course-a", "item-1", RUBRIC)  # connection refused twice: safe
    transport.lose = 1
    with pytest.raises(InternalError):
        remote.create_item("course-a", "item-2", RUBRIC)  # the answer was lost: not repeated
    assert len(transport.sent) == 2
    # It was created, once: a blind retry would have answered 409 instead.
    with pytest.raises(ConflictError):
        remote.create_item("course-a", "item-2", RUBRIC)


def test_a_caller_may_give_its_own_key(remote, transport, item):
    first = remote.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="mine-1")
    again = remote.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="mine-1")
    assert first == again
    with pytest.raises(RequestError) as raised:
        remote.submit("course-a", "item-1", "s9", text=essay(30), idempotency_key="mine-1")
    assert raised.value.code == "idempotency_key_reused"
