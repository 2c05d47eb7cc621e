"""Operations: liveness, readiness and metrics, outside the versioned API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from essaygrader.web import prometheus
from essaygrader.web.access import MetricsReader
from essaygrader.web.deps import APIDep, RuntimeDep
from essaygrader.web.schemas.common import ErrorBody
from essaygrader.web.schemas.operations import Health, ReadinessOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Is the process up?")
def healthz() -> dict[str, Any]:
    """Answers as long as the process serves requests; checks nothing else."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "A dependency is unreachable."}},
    summary="Can it serve?",
)
def readyz(runtime: RuntimeDep) -> Response:
    """200 when the database, the broker and the blob store answer; 503 otherwise."""
    report = runtime.readiness.check()
    return JSONResponse(report, status_code=200 if report["ready"] else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {prometheus.CONTENT_TYPE: {}}, "description": "Prometheus text."},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody},
        500: {"model": ErrorBody},
    },
    summary="Prometheus metrics (admin token)",
)
def metrics(principal: MetricsReader, api: APIDep, request: Request) -> Response:
    """Queue lengths, workflows by type, status and age, task durations and attempts,
    the quality of each item's current classifier set, and this process's HTTP counts and
    latencies."""
    text = prometheus.render(api.statistics(), request.app.state.http_metrics)
    return Response(text, media_type=prometheus.CONTENT_TYPE)
