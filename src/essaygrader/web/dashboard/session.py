"""Signing in to the dashboard with an API token.

The token goes into an HttpOnly, SameSite=Strict cookie scoped to the dashboard, and is
checked against the database on every request, so revoking it signs its holder out at
once and the server keeps no session state. Wrong tokens, at sign-in or in the cookie,
count against the client's address (``sign_in_failure_limit``); past the limit it is
answered 429 with ``Retry-After``. Form posts must come from the dashboard's
own origin: SameSite keeps the cookie off other sites' requests, and the Origin check
refuses them even from browsers that ignore SameSite, and refuses posts that name no
origin at all.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from essaygrader.domain.access import Permission, Principal
from essaygrader.errors import ForbiddenError, RequestError
from essaygrader.web.dashboard.render import COOKIE, PREFIX, redirect, render
from essaygrader.web.deps import RuntimeDep, authenticate_limited
from essaygrader.web.rate_limit import FailureLimiter

SESSION_SECONDS = 12 * 3600

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def dashboard_user(request: Request, runtime: RuntimeDep) -> Principal:
    """The signed-in admin or staff member.

    Raises:
        ForbiddenError: ``unauthenticated``; not signed in, or the token was revoked.
        ForbiddenError: ``forbidden``; the token's role has no use for the dashboard.
        RequestError: ``rate_limited``; too many wrong tokens from this address lately.
    """
    principal = authenticate_limited(
        request, runtime, request.cookies.get(COOKIE), sign_in_limiter(request), "sign-ins"
    )
    request.state.principal = principal
    if not principal.may(Permission.READ_ITEMS):
        raise ForbiddenError(
            f"the dashboard is for admin and staff tokens; a {principal.role.value} token "
            "cannot use it",
            code="forbidden",
        )
    return principal


UserDep = Annotated[Principal, Depends(dashboard_user)]


def sign_in_limiter(request: Request) -> FailureLimiter:
    """This process's count of failed sign-ins per client address."""
    limiter: FailureLimiter = request.app.state.sign_in_limiter
    return limiter


def same_origin(request: Request) -> None:
    """Refuse a form post that does not show it comes from the dashboard's own origin.

    Browsers send ``Origin`` with every POST (and ``Referer`` unless told not to), so a
    post carrying neither did not come from a dashboard page: it is refused like one from
    another site, rather than left to SameSite alone.

    Raises:
        ForbiddenError: ``forbidden``; the Origin (or Referer) names another host, or
            neither is sent.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        raise ForbiddenError(
            "form posts must say where they come from (Origin or Referer); post the form "
            "from the dashboard's own pages",
            code="forbidden",
        )
    if urlsplit(source).netloc != request.headers.get("host"):
        raise ForbiddenError("form posts from other sites are refused", code="forbidden")


SameOrigin = Depends(same_origin)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path, never another site."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//"):
        return target
    return f"{PREFIX}/"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/sign-in", dependencies=[SameOrigin])
def sign_in(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the token and keep it in a cookie for the dashboard's pages."""
    try:
        principal = authenticate_limited(
            request, runtime, token.strip(), sign_in_limiter(request), "sign-ins"
        )
        if not principal.may(Permission.READ_ITEMS):
            raise ForbiddenError(
                f"the dashboard is for admin and staff tokens, not {principal.role.value} ones",
                code="forbidden",
            )
    except RequestError as exc:
        context = {"next": safe_next(next), "error": exc.message}
        if exc.code == "rate_limited":
            refused = render(request, "sign_in.html", context, status=429)
            refused.headers["Retry-After"] = str(exc.details["retry_after"])
            return refused
        status = 401 if exc.code == "unauthenticated" else 403
        return render(request, "sign_in.html", context, status=status)
    response = redirect(safe_next(next))
    response.set_cookie(
        COOKIE,
        token.strip(),
        max_age=SESSION_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", dependencies=[SameOrigin])
def sign_out() -> Response:
    """Forget the token in this browser."""
    response = redirect(f"{PREFIX}/sign-in")
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
