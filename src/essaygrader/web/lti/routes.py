"""The LTI tool's routes. Platforms and browsers call them, not API clients, so they are
kept out of the OpenAPI document; the admin's registration routes are in
``web/routes/lti_platforms.py``.

Pages are shown inside the platform's iframe, so unlike the dashboard they may be framed;
the OIDC state cookie and the session cookie are ``SameSite=None; Secure`` over HTTPS
(they must come back on the platform's cross-site form post), ``Lax`` over plain HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from essaygrader.errors import EssayGraderError, ForbiddenError, RequestError
from essaygrader.lti.launch import LtiSession
from essaygrader.lti.service import LtiAPI
from essaygrader.web.dashboard.render import COOKIE as DASHBOARD_COOKIE
from essaygrader.web.dashboard.render import PREFIX as DASHBOARD
from essaygrader.web.deps import RuntimeDep
from essaygrader.web.errors import status_for

STATE_COOKIE = "essaygrader_lti_state"
SESSION_COOKIE = "essaygrader_lti"
MAX_ESSAY_FORM_CHARS = 200_000

router = APIRouter(prefix="/lti", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def lti_api(runtime: RuntimeDep) -> LtiAPI:
    return runtime.lti


LtiDep = Annotated[LtiAPI, Depends(lti_api)]


def _headers(nonce: str | None = None) -> dict[str, str]:
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    return {
        "Content-Security-Policy": f"default-src 'self'; script-src {script}; "
        "style-src 'self' 'unsafe-inline'; base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _page(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(12)
    return templates.TemplateResponse(
        request, name, {**context, "nonce": nonce}, status_code=status, headers=_headers(nonce)
    )


def _error(request: Request, error: EssayGraderError) -> HTMLResponse:
    return _page(
        request,
        "lti_error.html",
        {"message": str(error), "code": error.code},
        status=status_for(error),
    )


def _cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/lti",
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",
    )


def _session(request: Request, api: LtiAPI) -> LtiSession:
    return api.session_of(request.cookies.get(SESSION_COOKIE))


def form_token(request: Request) -> str:
    """The value a page's forms carry to prove they came from this session's pages: the
    session cookie is ``SameSite=None`` over HTTPS, so another site could post with it."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(cookie.encode(), b"essaygrader lti form", hashlib.sha256).hexdigest()


def _check_form(request: Request, token: str) -> None:
    if not token or not hmac.compare_digest(token, form_token(request)):
        raise ForbiddenError(
            "the form did not come from this session's page: reload it and try again",
            code="forbidden",
        )


@router.get("/jwks")
def jwks(api: LtiDep) -> JSONResponse:
    """The tool's public keys, for platforms to check what it signs."""
    return JSONResponse(api.jwks(), headers={"Cache-Control": "max-age=300"})


@router.api_route("/login", methods=["GET", "POST"])
async def login(request: Request, api: LtiDep) -> Response:
    """OIDC third-party login: redirect to the platform with a new state and nonce."""
    params = {k: str(v) for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: str(v) for k, v in form.items() if isinstance(v, str)})
    try:
        redirect = api.begin_login(params)
    except EssayGraderError as exc:
        return _error(request, exc)
    response = RedirectResponse(redirect.url, status_code=302)
    _cookie(request, response, STATE_COOKIE, redirect.state, int(api.settings.lti_state_seconds))
    return response


@router.post("/launch")
def launch(
    request: Request,
    api: LtiDep,
    id_token: Annotated[str, Form(max_length=100_000)] = "",
    state: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A platform's launch: verify it, then open the student page, the item picker (deep
    linking) or the staff dashboard signed in for the course."""
    try:
        if not id_token:
            raise RequestError("is required", field="id_token", code="lti_launch_invalid")
        done = api.launch(id_token, state, request.cookies.get(STATE_COOKIE))
        token = api.staff_token(done) if done.role == "staff" else None
    except EssayGraderError as exc:
        return _error(request, exc)
    if done.message_type == "LtiDeepLinkingRequest":
        response: Response = RedirectResponse("/lti/deep-link", status_code=303)
    elif done.role == "staff":
        target = f"{DASHBOARD}/courses/{done.course_id}"
        if done.item_id:
            target += f"/items/{done.item_id}"
        response = RedirectResponse(target, status_code=303)
    else:
        response = RedirectResponse("/lti/student", status_code=303)
    _cookie(request, response, SESSION_COOKIE, done.session, 8 * 3600)
    response.delete_cookie(STATE_COOKIE, path="/lti")
    if token is not None:
        response.set_cookie(
            DASHBOARD_COOKIE,
            token,
            max_age=8 * 3600,
            path=DASHBOARD,
            httponly=True,
            secure=request.url.scheme == "https",
            samesite="lax",
        )
    return response


@router.get("/student")
def student_page(request: Request, api: LtiDep) -> Response:
    """The student's page: the prompt, a form to submit, then status and grades."""
    try:
        lti = _session(request, api)
        view = api.student_view(lti)
    except EssayGraderError as exc:
        return _error(request, exc)
    return _page(request, "lti_student.html", {**view, "form_token": form_token(request)})


@router.post("/student")
def student_submit(
    request: Request,
    api: LtiDep,
    essay: Annotated[str, Form(max_length=MAX_ESSAY_FORM_CHARS)] = "",
    token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Submit the student's essay, then show the page again."""
    try:
        lti = _session(request, api)
        _check_form(request, token)
        api.submit(lti, essay)
    except EssayGraderError as exc:
        return _error(request, exc)
    return RedirectResponse("/lti/student", status_code=303)


def new_item_url(lti: LtiSession) -> str:
    """The dashboard's item form for the course, prefilled from the platform's request."""
    wanted = lti.deep_linking or {}
    title = re.sub(r"[^A-Za-z0-9]+", "-", str(wanted.get("title", ""))).strip("-").lower()
    query = urlencode({"item_id": title[:100], "prompt": str(wanted.get("text", ""))[:2000]})
    return f"{DASHBOARD}/courses/{quote(lti.course_id, safe='')}?{query}"


@router.get("/deep-link")
def deep_link_page(request: Request, api: LtiDep) -> Response:
    """Course staff pick the item a new link of the platform opens."""
    try:
        lti = _session(request, api)
        if lti.role != "staff" or not lti.deep_linking:
            raise ForbiddenError("not a deep-linking launch of course staff", code="forbidden")
        items = api.client.list_items(lti.course_id, limit=500)["items"]
    except EssayGraderError as exc:
        return _error(request, exc)
    return _page(
        request,
        "lti_deep_link.html",
        {
            "items": items,
            "course_id": lti.course_id,
            "new_item_url": new_item_url(lti),
            "form_token": form_token(request),
        },
    )


@router.post("/deep-link")
def deep_link_answer(
    request: Request,
    api: LtiDep,
    item_id: Annotated[str, Form(max_length=255)] = "",
    resubmission: Annotated[str, Form(max_length=20)] = "",
    token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Answer the platform with the picked item as an LtiResourceLink with a line item."""
    try:
        lti = _session(request, api)
        _check_form(request, token)
        if not item_id:
            raise RequestError("pick an item", field="item_id", code="lti_invalid")
        url, token = api.deep_linking_response(
            lti, item_id, allow_resubmission=resubmission == "allowed"
        )
    except EssayGraderError as exc:
        return _error(request, exc)
    return _page(request, "lti_post.html", {"action": url, "jwt": token})
