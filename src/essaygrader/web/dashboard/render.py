"""Rendering dashboard pages: templates, filters, security headers and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from essaygrader.domain.access import Permission, Principal
from essaygrader.domain.wording import counted
from essaygrader.errors import EssayGraderError
from essaygrader.web.errors import INTERNAL_MESSAGE

PREFIX = "/dashboard"
COOKIE = "essaygrader_session"

# Pages load only their own script and stylesheet; charts are inline SVG.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def age(seconds: Any) -> str:
    """``95`` becomes ``2 min``: ages in the unit a person reads at a glance."""
    if seconds is None:
        return "-"
    value = float(seconds)
    if value < 120:
        return f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.0f} min"
    if value < 172800:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} days"


def percent(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def decimal(value: Any, places: int = 3) -> str:
    return "-" if value is None else f"{float(value):.{places}f}"


def url_part(value: Any) -> str:
    """An id encoded for one segment of a URL path."""
    return quote(str(value), safe="")


def counted_filter(count: Any, noun: str, plural: str | None = None) -> str:
    """``{{ n | counted("essay") }}``: "1 essay", "2 essays"."""
    return counted(int(count or 0), noun, plural)


templates.env.filters.update(
    age=age, percent=percent, decimal=decimal, url_part=url_part, counted=counted_filter
)


def shown_error(error: EssayGraderError) -> dict[str, Any]:
    """An error as a page shows it: the field in bold beside the message, so the
    message is the one without the field in front."""
    return {"code": error.code, "field": error.field, "message": error.message}


def render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """A page from ``templates/name`` with the signed-in user, if any, in its context."""
    context.setdefault("user", getattr(request.state, "principal", None))
    context.setdefault("prefix", PREFIX)
    return templates.TemplateResponse(
        request, name, context, status_code=status, headers=SECURITY_HEADERS
    )


def redirect(path: str) -> RedirectResponse:
    """After a form post: go to ``path`` with GET (303 See Other)."""
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def signed_in_user(request: Request) -> Principal | None:
    """The admin or staff member signed in on this browser, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        principal: Principal = request.app.state.runtime.tokens.authenticate(token)
    except EssayGraderError:
        return None
    return principal if principal.may(Permission.READ_ITEMS) else None


def error_page(request: Request, error: EssayGraderError, status: int) -> Response:
    """A dashboard page's error: sign in when needed, otherwise an error page."""
    if error.code == "unauthenticated" and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"{PREFIX}/sign-in?next={quote(target, safe='')}")
    if getattr(request.state, "principal", None) is None:
        # A page that failed before (or without) signing in, such as an unknown path,
        # still shows who is signed in and the way back, like every other page.
        request.state.principal = signed_in_user(request)
    shown = shown_error(error)
    if status >= 500:
        shown = {"code": error.code, "message": INTERNAL_MESSAGE, "field": None}
    return render(request, "error.html", {"status": status, "error": shown}, status=status)
