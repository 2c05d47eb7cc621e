"""Dependencies routes declare by type: the runtime, the API, and the caller's token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from essaygrader.api.ai import AIGradingAPI
from essaygrader.domain.access import Principal
from essaygrader.errors import ForbiddenError
from essaygrader.runtime import Runtime
from essaygrader.web.rate_limit import FailureLimiter, client_address


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
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Whoever holds the request's bearer token.

    Raises:
        ForbiddenError: ``unauthenticated``; no token, or an unknown or revoked one.
        RequestError: ``rate_limited``; this address sent too many wrong tokens lately.
    """
    token = credentials.credentials if credentials else None
    return authenticate_limited(
        request, runtime, token, request.app.state.api_auth_limiter, "API authentications"
    )


def authenticate_limited(
    request: Request, runtime: Runtime, token: str | None, limiter: FailureLimiter, what: str
) -> Principal:
    """The holder of ``token``; a wrong one counts against the client's address.

    A request without any token is not a guess and is not counted.

    Raises:
        ForbiddenError: ``unauthenticated``; no token, or an unknown or revoked one.
        RequestError: ``rate_limited``; the address must wait (``retry_after`` seconds).
    """
    address = client_address(request)
    limiter.check(address, what)
    try:
        return runtime.tokens.authenticate(token)
    except ForbiddenError:
        if token:
            limiter.failed(address)
        raise


PrincipalDep = Annotated[Principal, Depends(get_principal)]
