"""Dependencies routes declare by type: the runtime, the API, and the caller's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from essaygrader.api.ai import AIGradingAPI
from essaygrader.domain.access import Principal
from essaygrader.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_api(runtime: RuntimeDep) -> AIGradingAPI:
    """The in-process AI Grading API that routes call."""
    return runtime.client


APIDep = Annotated[AIGradingAPI, Depends(get_api)]

bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`essaygrader tokens create`), sent as `Authorization: "
    "Bearer <token>`.",
)


def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Whoever holds the request's bearer token.

    Raises:
        ForbiddenError: ``unauthenticated``; no token, or an unknown or revoked one.
    """
    return runtime.tokens.authenticate(credentials.credentials if credentials else None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
