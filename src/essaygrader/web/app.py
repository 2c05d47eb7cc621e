"""The HTTP application: the versioned API, the staff dashboard and operations endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from essaygrader import __version__
from essaygrader.runtime import Runtime
from essaygrader.web.dashboard import install_dashboard
from essaygrader.web.docs import install_docs
from essaygrader.web.errors import install_error_handlers
from essaygrader.web.limits import BodySizeLimit
from essaygrader.web.lti import routes as lti_routes
from essaygrader.web.metrics import HttpMetrics, HttpMetricsMiddleware
from essaygrader.web.rate_limit import FailureLimiter
from essaygrader.web.routes import (
    backlog,
    grade_next,
    integrations,
    items,
    operations,
    reviews,
    students,
    submissions,
    training,
    workflows,
)
from essaygrader.web.schemas.common import ErrorBody

API_PREFIX = "/api/v1"

# Documented on every API route, so clients (and schema checks) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "Malformed request body.",
        401: "No token, or an unknown or revoked one.",
        403: "The token's role or courses do not allow this.",
        404: "No such record (or one the token may not see).",
        409: "Conflicts with the current state.",
        413: "Request body too large.",
        422: "An invalid field, named in the error.",
        429: "Too many wrong tokens from this address lately; wait `Retry-After` seconds.",
        500: "Failed on our side.",
    }.items()
}

DESCRIPTION = """\
The AI Grading API over HTTP: define items and their rubrics, train classifiers on
graded examples, submit essays and read their assessments. Every call answers in the
same JSON shapes as the Python API (`essaygrader.api.ai.AIGradingAPI`), and
`essaygrader.client.HttpClient` offers the same methods over this API.

Send an API token as `Authorization: Bearer <token>`. Errors are
`{"code", "message", "field"}`: `code` is stable, `field` names the input at fault.
"""


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The application, serving ``runtime`` (by default one built from the environment).

    Args:
        runtime: The database, queue and APIs to serve; the app closes it at shutdown
            only if it built it.
    """
    owned = runtime is None
    served = runtime or Runtime()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            served.close()

    app = FastAPI(
        title="essaygrader",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = served
    app.state.http_metrics = HttpMetrics()
    settings = served.settings
    # In this process's memory: each server process counts failures for itself.
    app.state.api_auth_limiter = FailureLimiter(
        settings.api_auth_failure_limit, settings.auth_failure_window_seconds
    )
    app.state.sign_in_limiter = FailureLimiter(
        settings.sign_in_failure_limit, settings.auth_failure_window_seconds
    )
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for module in (
        items,
        training,
        submissions,
        grade_next,
        reviews,
        workflows,
        backlog,
        students,
        integrations,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(operations.router)
    install_dashboard(app)
    app.include_router(lti_routes.router)
    install_docs(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # A person who opens the bare address wants the dashboard.
        return RedirectResponse("/dashboard/", status_code=307)

    # The last added runs first: count every request, including those refused for size.
    app.add_middleware(BodySizeLimit, max_bytes=served.settings.http_max_body_bytes)
    app.add_middleware(HttpMetricsMiddleware, metrics=app.state.http_metrics)
    return app


def app_from_environment() -> FastAPI:
    """The application configured by ``ESSAYGRADER_*`` variables; a factory for uvicorn."""
    return create_app()
