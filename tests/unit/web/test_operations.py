"""Operations endpoints: liveness, readiness of each dependency, Prometheus metrics, and
the OpenAPI document."""

from __future__ import annotations

import re
import socket

import pytest
from fastapi.testclient import TestClient

from essaygrader.config import Settings
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from essaygrader.web.prometheus import escape
from tests.unit.web.conftest import auth


def test_liveness_needs_nothing(http):
    assert http.get("/healthz").json() == {"status": "ok"}


def test_ready_when_every_dependency_answers(http):
    response = http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["ready"] is True


def test_not_ready_when_the_database_is_down(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    runtime = Runtime(settings, task_queue=InProcessTaskQueue())
    with TestClient(create_app(runtime)) as http:
        response = http.get("/readyz")
    runtime.close()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "unreachable"}
    assert response.json()["checks"]["storage"]["ok"] is True
    assert "127.0.0.1:1" not in response.text


def test_not_ready_when_the_broker_is_down(runtime, http, monkeypatch):
    monkeypatch.setattr(
        runtime.task_queue, "queue_lengths", lambda: {"training": None, "grading": None}
    )
    response = http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_broker_that_does_not_answer_is_not_ready_and_its_queues_unknown(
    scheme, settings, tokens
):
    # The real Celery queue, on a port where nothing listens: no stand-in for the broker.
    url = f"redis://127.0.0.1:{closed_port()}/0"
    if scheme == "amqp":
        url = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    runtime = Runtime(settings.with_overrides(broker_url=url))
    assert runtime.task_queue.queue_lengths() == {"training": None, "grading": None}
    admin = auth(runtime.tokens.create_token("ops", "admin")["token"])
    with TestClient(create_app(runtime)) as http:
        ready = http.get("/readyz")
        status = http.get("/api/v1/status", headers=admin)
        metrics = http.get("/metrics", headers=admin)
        http.cookies.clear()
        signed = http.post(
            "/dashboard/sign-in",
            data={"token": admin["Authorization"][7:]},
            headers={"Origin": "http://testserver"},
        )
    runtime.close()
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == {"ok": False, "detail": "unreachable"}
    assert ready.json()["checks"]["database"]["ok"] is True
    assert status.json()["queues"] == {"training": None, "grading": None}
    # Prometheus has no "unknown": the series are left out rather than shown as 0.
    assert "essaygrader_queue_length{" not in metrics.text
    assert signed.status_code == 200
    for queue in ("training", "grading"):
        assert f'data-queue="{queue}">?</td>' in signed.text


def samples(text: str) -> dict[str, float]:
    """``{'name{labels}': value}`` of every sample line."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


def test_metrics_from_the_database_and_this_process(http, tokens, world):
    admin = auth(tokens["admin"])
    for _ in range(3):
        http.get("/api/v1/items", headers=admin)
    http.get("/api/v1/submissions/nope", headers=admin)
    response = http.get("/metrics", headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    found = samples(text)
    assert found['essaygrader_queue_length{queue="grading"}'] == 0
    assert found['essaygrader_workflows{type="grade",status="complete"}'] == 2
    assert found['essaygrader_workflows{type="grade",status="waiting"}'] == 2
    assert found['essaygrader_workflows_incomplete{type="grade"}'] == 2
    assert found['essaygrader_oldest_incomplete_workflow_age_seconds{type="grade"}'] >= 0
    assert found['essaygrader_task_duration_seconds_count{type="grade"}'] == 2
    assert found['essaygrader_task_duration_seconds_bucket{type="grade",le="+Inf"}'] == 2
    assert found['essaygrader_task_attempts_total{type="train"}'] == 2
    assert found['essaygrader_classifier_set_mean_qwk{course="course-a",item="item-1"}'] > 0
    lowest = found[
        'essaygrader_classifier_set_lowest_criterion_qwk{course="course-a",item="item-1"}'
    ]
    assert lowest == min(
        v for k, v in found.items() if k.startswith('essaygrader_classifier_qwk{course="course-a"')
    )
    assert (
        found['essaygrader_classifier_set_passed_quality_gate{course="course-a",item="item-1"}']
        == 1
    )
    assert found['essaygrader_classifier_qwk{course="course-a",item="item-1",criterion="ideas"}']
    # Course b's set has no metrics: it has a creation time and nothing else.
    assert 'essaygrader_classifier_set_mean_qwk{course="course-b"' not in text
    assert any(
        k.startswith('essaygrader_classifier_set_created_timestamp_seconds{course="course-b"')
        for k in found
    )
    assert (
        found['essaygrader_http_requests_total{method="GET",route="/api/v1/items",status="200"}']
        == 3
    )
    assert (
        found[
            'essaygrader_http_requests_total{method="GET",route="/api/v1/submissions/{submission_uuid}",status="404"}'
        ]
        == 1
    )
    assert (
        found['essaygrader_http_request_duration_seconds_count{method="GET",route="/api/v1/items"}']
        == 3
    )
    # Every family is declared before its samples, once.
    declared = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    assert len(declared) == len({name for name, _ in declared})


def test_metrics_need_an_admin_token(http, tokens):
    assert http.get("/metrics").status_code == 401
    assert http.get("/metrics", headers=auth(tokens["staff_ab"])).status_code == 403


def test_label_values_are_escaped():
    assert escape('a "b"\\c\nd') == 'a \\"b\\"\\\\c\\nd'


def test_the_openapi_document_describes_every_route_and_error(http):
    spec = http.get("/openapi.json").json()
    assert spec["info"]["title"] == "essaygrader"
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/"):
                for status in ("401", "403", "422", "500"):
                    schema = operation["responses"][status]["content"]["application/json"]
                    assert schema["schema"]["$ref"].endswith("/ErrorBody"), (method, path)
    assert "HTTPValidationError" not in str(spec)
