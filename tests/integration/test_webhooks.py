"""Signed webhooks, received by a server on loopback that checks every signature.

The receiver refuses its first requests with 500, so the first delivery is retried; the
deliveries behind it wait, and everything arrives once, in the order it happened.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from essaygrader.config import Settings
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.factories import RUBRIC, essay, examples, train_with_metrics
from tests.integration.live_server import LiveServer

pytestmark = pytest.mark.integration

SECRET = "s3cret-of-the-course-platform"


class Receiver:
    """A platform's webhook endpoint: checks signatures, fails on demand, records."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/hooks")
        async def hook(request: Request) -> Response:
            body = await request.body()
            header = request.headers.get("essaygrader-signature", "")
            parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
            expected = hmac.new(
                SECRET.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256
            ).hexdigest()
            if not hmac.compare_digest(expected, parts.get("v1", "")):
                return JSONResponse({"error": "bad signature"}, 401)
            payload = await request.json()
            with self._lock:
                if self.fail_next > 0:
                    self.fail_next -= 1
                    self.refused.append(payload["id"])
                    return JSONResponse({"error": "busy"}, 500)
                self.received.append(
                    {**payload, "header_event": request.headers["essaygrader-event"]}
                )
            return Response(status_code=204)


@pytest.fixture
def hooks(tmp_path) -> Iterator[dict[str, Any]]:
    receiver = Receiver()
    server = LiveServer(receiver.app).start()
    queue = InProcessTaskQueue()
    runtime = Runtime(
        Settings(data_dir=tmp_path / "data", default_algorithm="fake", webhook_retry_seconds=0.01),
        task_queue=queue,
    )
    try:
        yield {"runtime": runtime, "queue": queue, "receiver": receiver, "url": server.url}
    finally:
        server.stop()
        runtime.close()


def test_deliveries_are_signed_retried_and_in_order(hooks):
    runtime, queue, receiver = hooks["runtime"], hooks["queue"], hooks["receiver"]
    endpoint = runtime.webhooks.register_endpoint(
        "course-w",
        f"{hooks['url']}/hooks",
        SECRET,
        ["assessment.created", "assessment.released", "training.completed", "training.failed"],
    )
    assert "secret" not in endpoint
    runtime.client.create_item("course-w", "item-1", RUBRIC, prompt="Gardens.")
    receiver.fail_next = 2  # the first delivery is refused twice, then accepted
    train_with_metrics(runtime, "course-w", "item-1", None)
    queue.join()
    for n in range(3):
        runtime.client.submit("course-w", "item-1", f"student-{n}", text=essay(40 + 10 * n, seed=n))
    queue.join()

    events = [r["event"] for r in receiver.received]
    assert events[0] == "training.completed"
    assert events[1:] == ["assessment.created", "assessment.released"] * 3
    assert all(r["event"] == r["header_event"] for r in receiver.received)
    assert [r["data"]["student_id"] for r in receiver.received[1::2]] == [
        "student-0",
        "student-1",
        "student-2",
    ]
    # The refused delivery came again, and went first: nothing overtook it.
    assert receiver.refused == [receiver.received[0]["id"]] * 2
    deliveries = runtime.webhooks.list_deliveries(endpoint["uuid"])
    assert len(deliveries) == 7
    assert all(d["delivered_at"] and d["last_status"] == 204 for d in deliveries)
    assert deliveries[-1]["attempts"] == 3  # the oldest: two failures, then delivered
    assert {d["attempts"] for d in deliveries[:-1]} == {1}

    # A training that fails ends in training.failed, carrying the error.
    started = runtime.client.train_classifiers("course-w", "item-1", examples(30))
    runtime.worker.record_failure(
        TaskType.TRAIN, [started["training_workflow_uuid"]], "disk full", final=True
    )
    queue.join()
    assert receiver.received[-1]["event"] == "training.failed"
    assert receiver.received[-1]["data"]["error"] == "disk full"


def test_endpoint_registration_is_checked(hooks):
    webhooks = hooks["runtime"].webhooks
    with pytest.raises(RequestError, match="events"):
        webhooks.register_endpoint("c", "http://127.0.0.1:9/x", SECRET, ["assessment.deleted"])
    with pytest.raises(RequestError, match="secret"):
        webhooks.register_endpoint("c", "http://127.0.0.1:9/x", "short", ["training.failed"])
    with pytest.raises(RequestError, match="url"):
        webhooks.register_endpoint("c", "ftp://example.org", SECRET, ["training.failed"])
    assert webhooks.list_endpoints() == []
