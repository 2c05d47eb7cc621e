"""Errors to responses, in one place: which status each error gets, and its body.

Every failure leaves as ``{"code", "message", "field"}``: essaygrader's own errors,
request validation by the schemas, unknown paths, and bugs. Request errors keep the
message that names the field; errors on our side (5xx) keep their code, and the details
go to the log rather than to the caller, since they can name hosts and SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from essaygrader.errors import (
    ConflictError,
    EssayGraderError,
    ForbiddenError,
    InternalError,
    NotFoundError,
    RequestError,
)

log = logging.getLogger(__name__)

# The status of an error is its kind's, except for the few codes below: first match wins,
# so narrower kinds come before broader ones.
STATUS_OF_CODE: dict[str, int] = {
    "unauthenticated": 401,
    "malformed_request": 400,
    "payload_too_large": 413,
    "rate_limited": 429,
}
STATUS_OF_KIND: tuple[tuple[type[EssayGraderError], int], ...] = (
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (RequestError, 422),
    (InternalError, 500),
    (EssayGraderError, 500),
)

# A schema's validation error gets the code of the route's area, as the Python API would
# raise, so a client sees the same code whichever layer caught the mistake.
AREA_CODES: dict[str, str] = {
    "items": "item_invalid",
    "training": "training_invalid",
    "submissions": "grading_invalid",
    "workflows": "grading_invalid",
    "backlog": "rescheduling_invalid",
    "students": "student_data_invalid",
    "audit": "audit_invalid",
}

INTERNAL_MESSAGE = "something failed on our side; the details are in the service's log"

ErrorPage = Callable[[Request, EssayGraderError, int], Response]
"""Renders an error as HTML, for the dashboard's pages."""


def status_for(error: EssayGraderError) -> int:
    """The HTTP status of an essaygrader error."""
    if error.code in STATUS_OF_CODE:
        return STATUS_OF_CODE[error.code]
    return next(status for kind, status in STATUS_OF_KIND if isinstance(error, kind))


def error_response(
    request: Request,
    error: EssayGraderError,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The response for ``error``: JSON, or an HTML page under the dashboard."""
    status = status or status_for(error)
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 429:
        headers.setdefault("Retry-After", str(error.details.get("retry_after", 1)))
    error_page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if error_page is not None and request.url.path.startswith("/dashboard"):
        response = error_page(request, error, status)
        response.headers.update(headers)
        return response
    body: dict[str, Any] = error.to_dict()
    if status >= 500:
        body = {"code": error.code, "message": INTERNAL_MESSAGE, "field": None}
    return JSONResponse(body, status_code=status, headers=headers)


async def _essaygrader_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EssayGraderError)
    if status_for(exc) >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    return error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(request, validation_error(request, exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    error: EssayGraderError
    if exc.status_code == 404:
        error = NotFoundError(f"nothing at {request.method} {request.url.path}")
    elif exc.status_code == 405:
        allowed = allowed_methods(request)
        if request.method in allowed and exc.headers and "Allow" in exc.headers:
            # A mounted app (the static files) took the path and refused the method itself.
            allowed = [m.strip() for m in exc.headers["Allow"].split(",")]
        error = RequestError(
            f"{request.method} is not allowed on {request.url.path}; use "
            f"{' or '.join(allowed) or 'another path'}"
        )
        error.code = "method_not_allowed"
        return error_response(
            request, error, status=405, headers={**(exc.headers or {}), "Allow": ", ".join(allowed)}
        )
    else:
        error = RequestError(str(exc.detail))
        error.code = f"http_{exc.status_code}"
    return error_response(request, error, status=exc.status_code, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    return error_response(request, InternalError(f"{type(exc).__name__}: {exc}"))


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path.

    Starlette's own 405 names the methods of the first route that matched the path
    alone, but several routes can share a path (GET and PATCH of an item are two), and
    routers nest; asking the routes about each method finds them all.
    """
    routes = request.app.router.routes
    # A mount (the static files) narrows root_path for its app; match from the top.
    top = {**request.scope, "root_path": request.scope.get("app_root_path", "")}
    if "app_root_path" not in request.scope:
        top["root_path"] = request.scope.get("root_path", "")
    return [
        method
        for method in HTTP_METHODS
        if any(route.matches({**top, "method": method})[0] is Match.FULL for route in routes)
    ]


def validation_error(request: Request, exc: RequestValidationError) -> RequestError:
    """The first schema violation as the route area's request error, naming the field."""
    problem = exc.errors()[0]
    loc = list(problem.get("loc", ()))
    if problem.get("type") == "json_invalid":
        detail = problem.get("ctx", {}).get("error", "invalid JSON")
        position = loc[1] if len(loc) > 1 else "?"
        return RequestError(
            f"the body is not valid JSON: {detail} (at character {position})",
            code="malformed_request",
        )
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    field = field_path(loc) or None
    message = str(problem.get("msg", "is invalid"))
    if problem.get("type") == "value_error" and "error" in problem.get("ctx", {}):
        message = str(problem["ctx"]["error"])  # a validator's own words, without "Value error, "
    if field is None and problem.get("type") == "missing":
        message = "a JSON body is required"
    tags = getattr(request.scope.get("route"), "tags", None)
    code = AREA_CODES.get(str(tags[0]), "bad_request") if tags else "bad_request"
    if field == "Idempotency-Key":
        code = "idempotency_key_invalid"  # as the Python API names it
    return RequestError(message[:1].lower() + message[1:], code=code, field=field)


def field_path(loc: list[Any]) -> str:
    """``["rubric", "criteria", 1, "name"]`` becomes ``rubric.criteria[1].name``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through :func:`error_response`."""
    app.add_exception_handler(EssayGraderError, _essaygrader_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Starlette hands bare exceptions to this handler, sends its response, then re-raises
    # so that the server logs the traceback too.
    app.add_exception_handler(Exception, _unexpected_error)
