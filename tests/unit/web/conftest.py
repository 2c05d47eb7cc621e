"""Fixtures for the HTTP layer: the app over a test runtime, tokens of every role, and
two courses with trained items, graded submissions and a waiting one each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from essaygrader.web.app import create_app
from tests.factories import RUBRIC, essay, examples, sample_metrics, train_with_metrics

ROLES = ("admin", "staff_a", "staff_ab", "staff_b", "platform_a", "platform_b", "worker")


@pytest.fixture
def app(runtime: Any) -> Any:
    return create_app(runtime)


@pytest.fixture
def http(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tokens(runtime: Any) -> dict[str, str]:
    """A token of each role; ``revoked`` was revoked after it was created."""
    made = {
        "admin": runtime.tokens.create_token("admin", "admin"),
        "staff_a": runtime.tokens.create_token("staff A", "staff", ["course-a"]),
        "staff_ab": runtime.tokens.create_token("staff A+B", "staff", ["course-a", "course-b"]),
        "staff_b": runtime.tokens.create_token("staff B", "staff", ["course-b"]),
        "platform_a": runtime.tokens.create_token("platform A", "platform", ["course-a"]),
        "platform_b": runtime.tokens.create_token("platform B", "platform", ["course-b"]),
        "worker": runtime.tokens.create_token("worker", "worker"),
        "revoked": runtime.tokens.create_token("gone", "admin"),
    }
    runtime.tokens.revoke_token(made["revoked"]["uuid"])
    return {role: created["token"] for role, created in made.items()}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Course:
    """Ids of one course's records, for requests that name them."""

    course_id: str
    item_id: str
    training_workflow_uuid: str
    classifier_set_uuid: str
    submission_uuid: str
    grading_workflow_uuid: str
    waiting_submission_uuid: str


@pytest.fixture
def world(runtime: Any, api: Any, task_queue: Any) -> dict[str, Course]:
    """Courses a and b, each with a trained item ``item-1`` (course a's with quality
    metrics), a graded submission, and an untrained ``item-2`` with a waiting one."""
    courses = {}
    for name in ("a", "b"):
        course_id = f"course-{name}"
        api.create_item(course_id, "item-1", RUBRIC, prompt=f"Prompt of {course_id}.")
        api.create_item(course_id, "item-2", RUBRIC)
        set_uuid = train_with_metrics(
            runtime, course_id, "item-1", sample_metrics() if name == "a" else None
        )
        task_queue.join()
        training = api.list_training_workflows(course_id, "item-1")["training_workflows"][0]
        graded = api.submit(course_id, "item-1", f"student-{name}", essay(60, seed=7))
        waiting = api.submit(course_id, "item-2", f"student-{name}", essay(30, seed=8))
        task_queue.join()
        courses[name] = Course(
            course_id=course_id,
            item_id="item-1",
            training_workflow_uuid=training["uuid"],
            classifier_set_uuid=set_uuid,
            submission_uuid=graded["submission_uuid"],
            grading_workflow_uuid=graded["grading_workflow_uuid"],
            waiting_submission_uuid=waiting["submission_uuid"],
        )
    return courses


def example_rows(count: int = 30) -> list[dict[str, Any]]:
    return examples(count)
