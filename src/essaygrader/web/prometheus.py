"""The Prometheus text exposition format (version 0.0.4), written by hand.

The format is a few lines per sample; writing it here avoids a dependency whose
multi-process machinery the service does not need (workers report through the database).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from essaygrader.domain.workflow import UNFINISHED_STATUSES
from essaygrader.web.metrics import LATENCY_BUCKETS, HttpMetrics

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[Mapping[str, str], float]


def escape(value: str) -> str:
    """A label value with backslashes, quotes and newlines escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    """One metric family: its HELP and TYPE lines, then a line per sample."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        lines.append(f"{name}{_labels(labels)} {number(value)}")
    return lines


def histogram(
    name: str,
    help_text: str,
    series: Iterable[tuple[Mapping[str, str], list[tuple[float, int]], int, float]],
) -> list[str]:
    """A histogram family from ``(labels, [(le, cumulative count)], count, sum)``."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for labels, buckets, count, total in series:
        for le, cumulative in buckets:
            lines.append(f"{name}_bucket{_labels({**labels, 'le': number(le)})} {cumulative}")
        lines.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {count}")
        lines.append(f"{name}_sum{_labels(labels)} {number(total)}")
        lines.append(f"{name}_count{_labels(labels)} {count}")
    return lines


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{escape(str(v))}"' for k, v in labels.items()) + "}"


def render(statistics: dict[str, Any], http: HttpMetrics) -> str:
    """Every metric the service exposes, from :meth:`AIGradingAPI.statistics` and the
    process's HTTP counters."""
    lines: list[str] = []
    lines += family(
        "essaygrader_queue_length",
        "gauge",
        "Messages waiting in each broker queue.",
        (({"queue": q}, n) for q, n in statistics["queues"].items() if n is not None),
    )
    lines += family(
        "essaygrader_outbox_tasks",
        "gauge",
        "Tasks committed but not sent to the broker yet (the transactional outbox).",
        [({}, statistics["outbox"])],
    )
    lines += family(
        "essaygrader_workflows",
        "gauge",
        "Workflows by type (train, grade) and status (waiting, scheduled, failed, complete).",
        (
            ({"type": t, "status": s}, n)
            for t, counts in statistics["workflows"].items()
            for s, n in counts.items()
        ),
    )
    lines += family(
        "essaygrader_workflows_incomplete",
        "gauge",
        "Workflows not complete yet (waiting, scheduled or failed), by type.",
        (
            ({"type": t}, sum(n for s, n in counts.items() if s in UNFINISHED_STATUSES))
            for t, counts in statistics["workflows"].items()
        ),
    )
    lines += family(
        "essaygrader_oldest_incomplete_workflow_age_seconds",
        "gauge",
        "Age of the oldest workflow not complete yet, by type; 0 when there is none.",
        (
            ({"type": t}, oldest["age_seconds"] if oldest else 0)
            for t, oldest in statistics["oldest_unfinished"].items()
        ),
    )
    lines += histogram(
        "essaygrader_task_duration_seconds",
        "Run time of the last attempt of each completed workflow, by type.",
        (
            ({"type": t}, [(le, n) for le, n in d["buckets"]], d["count"], d["sum"])
            for t, d in statistics["durations"].items()
        ),
    )
    lines += family(
        "essaygrader_task_attempts_total",
        "counter",
        "Task attempts started, retries included, by type.",
        (({"type": t}, n) for t, n in statistics["attempts"].items()),
    )
    lines += family(
        "essaygrader_workers_alive",
        "gauge",
        "Workers that sent a heartbeat recently.",
        [({}, len(statistics["workers"]))],
    )
    lines += _quality(statistics["classifier_sets"])
    lines += _http(http)
    return "\n".join(lines) + "\n"


def lowest_criterion_qwk(metrics: dict[str, Any]) -> float:
    """The weakest criterion's cross-validated QWK."""
    return float(min(c["qwk"] for c in metrics["criteria"].values()))


def _quality(sets: list[dict[str, Any]]) -> list[str]:
    scored = [s for s in sets if s["metrics"]]

    def per_set(key: str) -> Iterable[Sample]:
        for s in scored:
            value = s["metrics"].get(key)
            if value is not None:
                yield {"course": s["course_id"], "item": s["item_id"]}, float(value)

    lines = family(
        "essaygrader_classifier_set_created_timestamp_seconds",
        "gauge",
        "When each item's current classifier set was recorded.",
        (
            (
                {"course": s["course_id"], "item": s["item_id"], "algorithm": s["algorithm_id"]},
                s["created_at"],
            )
            for s in sets
        ),
    )
    lines += family(
        "essaygrader_classifier_set_mean_qwk",
        "gauge",
        "Cross-validated mean QWK of each item's current classifier set.",
        per_set("mean_qwk"),
    )
    lines += family(
        "essaygrader_classifier_set_lowest_criterion_qwk",
        "gauge",
        "Lowest cross-validated criterion QWK of each item's current classifier set.",
        (
            ({"course": s["course_id"], "item": s["item_id"]}, lowest_criterion_qwk(s["metrics"]))
            for s in scored
            if s["metrics"].get("criteria")
        ),
    )
    lines += family(
        "essaygrader_classifier_set_min_qwk",
        "gauge",
        "The quality gate (minimum criterion QWK) the current set passed, where the item has one.",
        per_set("min_qwk"),
    )
    lines += family(
        "essaygrader_classifier_set_passed_quality_gate",
        "gauge",
        "1 when the item's current classifier set passed its quality gate, else 0.",
        per_set("passed_quality_gate"),
    )
    lines += family(
        "essaygrader_classifier_qwk",
        "gauge",
        "Cross-validated QWK per criterion of each item's current classifier set.",
        (
            (
                {"course": s["course_id"], "item": s["item_id"], "criterion": name},
                float(values["qwk"]),
            )
            for s in scored
            for name, values in (s["metrics"].get("criteria") or {}).items()
            if isinstance(values, Mapping) and values.get("qwk") is not None
        ),
    )
    return lines


def _http(http: HttpMetrics) -> list[str]:
    lines = family(
        "essaygrader_http_requests_total",
        "counter",
        "HTTP requests answered by this process, by method, route and status.",
        (
            ({"method": m, "route": r, "status": str(s)}, n)
            for (m, r, s), n in sorted(http.requests.items())
        ),
    )
    lines += histogram(
        "essaygrader_http_request_duration_seconds",
        "Time to answer HTTP requests in this process, by method and route.",
        (
            (
                {"method": m, "route": r},
                list(zip(LATENCY_BUCKETS, h.buckets, strict=True)),
                h.count,
                h.total,
            )
            for (m, r), h in sorted(http.latency.items())
        ),
    )
    return lines
