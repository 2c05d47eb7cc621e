"""A workflow's error names no server file, URL or address to anyone but an admin; the
worker's log keeps the full text."""

from __future__ import annotations

import html
import logging
import shutil

import pytest
from fastapi.testclient import TestClient

from essaygrader.domain.redaction import without_server_details
from essaygrader.domain.workflow import TaskType
from tests.factories import RUBRIC, essay, examples
from tests.unit.web.conftest import auth


@pytest.fixture
def broken(runtime, api, task_queue):
    """A trained item whose classifier blobs were deleted, and an essay failing on it."""
    api.create_item("course-c", "item-1", RUBRIC)
    api.train_classifiers("course-c", "item-1", examples(30))
    task_queue.join()
    folder = runtime.settings.data_dir / "classifiers"
    shutil.rmtree(folder)
    submitted = api.submit("course-c", "item-1", "student", essay(40))
    task_queue.join()
    return submitted, str(runtime.settings.data_dir.resolve())


def test_workflow_errors_name_no_server_path_except_to_admins(
    http, runtime, tokens, broken, caplog
):
    submitted, data_dir = broken
    platform = auth(runtime.tokens.create_token("lms", "platform", ["course-c"])["token"])
    staff = auth(runtime.tokens.create_token("teacher", "staff", ["course-c"])["token"])
    workflow = f"/api/v1/workflows/grading/{submitted['grading_workflow_uuid']}"
    submission = f"/api/v1/submissions/{submitted['submission_uuid']}"
    full = http.get(workflow, headers=auth(tokens["admin"])).json()["last_error"]
    assert full.startswith("blob_not_found:")
    assert data_dir in full  # an operator sees where the file was looked for
    for headers in (platform, staff):
        for shown in (
            http.get(workflow, headers=headers).json()["last_error"],
            http.get(submission, headers=headers).json()["grading_workflow"]["last_error"],
        ):
            assert shown.startswith("blob_not_found: classifier blob")
            assert "<path>" in shown
            assert data_dir not in shown
            assert "/" + data_dir.split("/")[1] not in shown


def test_training_errors_too_in_the_dashboard(app, http, runtime, api, tokens):
    api.create_item("course-c", "item-1", RUBRIC)
    started = api.train_classifiers("course-c", "item-1", examples(30))
    runtime.worker.record_failure(
        TaskType.TRAIN,
        [started["training_workflow_uuid"]],
        "storage_error: cannot write classifier blob ab under /srv/eg/classifiers: "
        "[Errno 28] No space left on device; s3://bucket/prefix at 10.1.2.3:9000",
        final=True,
    )
    staff = auth(runtime.tokens.create_token("teacher", "staff", ["course-c"])["token"])
    shown = http.get(
        f"/api/v1/workflows/training/{started['training_workflow_uuid']}", headers=staff
    ).json()["last_error"]
    listed = http.get("/api/v1/courses/course-c/items/item-1/training", headers=staff).json()
    assert listed["training_workflows"][0]["last_error"] == shown
    assert shown == (
        "storage_error: cannot write classifier blob ab under <path>: "
        "[Errno 28] No space left on device; <url> at <host>"
    )
    browser = TestClient(app, headers={"Origin": "http://testserver"})
    browser.post("/dashboard/sign-in", data={"token": staff["Authorization"][7:]})
    page = browser.get("/dashboard/courses/course-c/items/item-1")
    assert "<path>" in html.unescape(page.text)
    assert "/srv/eg" not in page.text
    polled = browser.get(
        f"/dashboard/courses/course-c/items/item-1/training/{started['training_workflow_uuid']}"
        "/status"
    ).json()
    assert polled["last_error"] == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("not found at /var/lib/eg/classifiers/ab/cd", "not found at <path>"),
        ("No such file: '/home/u/x.npz'", "No such file: '<path>'"),
        (r"missing C:\data\x.npz", "missing <path>"),
        ("at ~/eg/data/x", "at <path>"),
        ("database postgresql://eg:secret@db.internal/eg down", "database <url> down"),
        ('server at "10.0.0.5", port 5432', 'server at "<host>", port 5432'),
        # Not server details: ids with slashes, fractions, single words.
        ("item course-a/item-1 has 1/2 criteria", "item course-a/item-1 has 1/2 criteria"),
    ],
)
def test_what_is_taken_out(text, shown):
    assert without_server_details(text) == shown


def test_the_worker_log_keeps_the_full_error(runtime, api, task_queue, caplog):
    api.create_item("course-c", "item-1", RUBRIC)
    api.train_classifiers("course-c", "item-1", examples(30))
    task_queue.join()
    shutil.rmtree(runtime.settings.data_dir / "classifiers")
    api.submit("course-c", "item-1", "student", essay(40))
    with caplog.at_level(logging.WARNING):
        task_queue.join()
    assert str(runtime.settings.data_dir.resolve()) in caplog.text
