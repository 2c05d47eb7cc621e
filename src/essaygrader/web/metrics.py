"""HTTP request counts and latencies, kept in the serving process.

Requests are labelled by method, route template (``/api/v1/submissions/{submission_uuid}``,
never the concrete path, so labels stay few) and status. Each server process keeps its
own counters; with several processes (``serve --workers N``) a scrape sees the one that
answered it.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds; the API answers from the database, so most requests take milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    count: int = 0
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        for i, le in enumerate(LATENCY_BUCKETS):
            if seconds <= le:
                self.buckets[i] += 1


@dataclass
class HttpMetrics:
    """Counters of one process. Only the event loop's thread updates them."""

    requests: defaultdict[tuple[str, str, int], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    latency: defaultdict[tuple[str, str], Histogram] = field(
        default_factory=lambda: defaultdict(Histogram)
    )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests[(method, route, status)] += 1
        self.latency[(method, route)].observe(seconds)


class HttpMetricsMiddleware:
    """Times every HTTP request and counts it by method, route and status."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            if self._templates is None:
                self._templates = route_templates(scope.get("app"))
            label = route_label(str(scope.get("path", "")), self._templates)
            self.metrics.observe(scope["method"], label, status, time.perf_counter() - started)


def route_templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """The path templates of the app's documented routes, with a regex for each."""
    paths = app.openapi().get("paths", {}) if hasattr(app, "openapi") else {}
    return [(compile_path(template)[0], template) for template in paths]


def route_label(path: str, templates: list[tuple[re.Pattern[str], str]]) -> str:
    """The template a path matches; dashboard pages share one label; else ``unmatched``."""
    for regex, template in templates:
        if regex.match(path):
            return template
    if path.startswith("/dashboard/static/"):
        return "/dashboard/static"
    if path.startswith("/dashboard"):
        return "/dashboard"
    return "unmatched"
