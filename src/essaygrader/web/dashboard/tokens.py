"""The dashboard's token pages, for admins: create a token (shown once), list, revoke.

The same calls as ``essaygrader tokens``, so operators need no shell on the server. A
created token appears only in the response to the form that created it (never in a URL,
a redirect or the log), with ``Cache-Control: no-store`` like every dashboard page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from essaygrader.domain.access import Permission, Principal, Role
from essaygrader.errors import RequestError
from essaygrader.web.access import actor_of, check_permission
from essaygrader.web.dashboard.render import PREFIX, redirect, render, shown_error
from essaygrader.web.dashboard.session import SameOrigin, UserDep
from essaygrader.web.deps import RuntimeDep
from essaygrader.web.errors import status_for

router = APIRouter(prefix=f"{PREFIX}/tokens", include_in_schema=False)

Text = Annotated[str, Form()]


def tokens_context(
    runtime: RuntimeDep,
    principal: Principal,
    *,
    include_revoked: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the tokens page shows; the create form re-renders it."""
    return {
        "tokens": runtime.tokens.list_tokens(include_revoked=include_revoked),
        "include_revoked": include_revoked,
        "roles": [r.value for r in Role],
        "me": principal.token_uuid,
        "form": {},
        "form_error": None,
        "created": None,
        "notice": None,
        **extra,
    }


@router.get("")
def tokens_page(
    request: Request,
    user: UserDep,
    runtime: RuntimeDep,
    include_revoked: Annotated[bool, Query(alias="all")] = False,
    revoked: str = "",
) -> Response:
    """Every token's name, role, courses and dates, and the form to create one."""
    check_permission(user, Permission.MANAGE_TOKENS)
    context = tokens_context(runtime, user, include_revoked=include_revoked, notice=revoked or None)
    return render(request, "tokens.html", context)


@router.post("", dependencies=[SameOrigin])
def create_token(
    request: Request,
    user: UserDep,
    runtime: RuntimeDep,
    name: Text = "",
    role: Text = "",
    courses: Text = "",
) -> Response:
    """Create a token and show it on this one page, never again."""
    check_permission(user, Permission.MANAGE_TOKENS)
    form = {"name": name, "role": role, "courses": courses}
    listed = [c.strip() for c in courses.replace("\n", ",").split(",") if c.strip()]
    try:
        created = runtime.tokens.create_token(name.strip(), role, listed, actor=actor_of(user))
    except RequestError as exc:
        context = tokens_context(runtime, user, form=form, form_error=shown_error(exc))
        return render(request, "tokens.html", context, status=status_for(exc))
    return render(request, "tokens.html", tokens_context(runtime, user, created=created))


@router.post("/{token_uuid}/revoke", dependencies=[SameOrigin])
def revoke_token(user: UserDep, runtime: RuntimeDep, token_uuid: str) -> Response:
    """Revoke a token; it stops working at once (revoking your own signs you out)."""
    check_permission(user, Permission.MANAGE_TOKENS)
    revoked = runtime.tokens.revoke_token(token_uuid, actor=actor_of(user))
    return redirect(f"{PREFIX}/tokens?{urlencode({'revoked': revoked['name']})}")
