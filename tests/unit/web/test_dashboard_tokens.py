"""Every dashboard route with every role, and the admins' token pages: create (shown
once), list and revoke, without a shell on the server."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from essaygrader.web.dashboard import dashboard_routers
from essaygrader.web.dashboard.render import COOKIE
from tests.conftest import row_counts
from tests.unit.web.conftest import ROLES
from tests.unit.web.route_cases import DASHBOARD_CASES


def as_role(app, token):
    # Origin, as a browser sends with every post.
    return TestClient(app, cookies={COOKIE: token}, headers={"Origin": "http://testserver"})


def test_the_dashboard_table_covers_every_dashboard_route():
    declared = {
        (method, route.path)
        for router in dashboard_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    covered = {(case.method, case.route) for case in DASHBOARD_CASES}
    assert declared == covered


def test_each_role_on_each_dashboard_route(app, runtime, tokens, world):
    spare = runtime.tokens.create_token("spare", "platform", ["course-a"])["uuid"]
    clients = {role: as_role(app, tokens[role]) for role in ROLES}
    failures = []
    for case in DASHBOARD_CASES:
        for role in ROLES:
            before = row_counts(runtime)
            response = clients[role].request(
                case.method,
                case.path(world["a"], spare),
                data=case.data(role) if case.data else None,
                files=case.files() if case.files else None,
                follow_redirects=False,
            )
            expected = (
                case.success if role in case.allowed else 404 if role in case.hidden_from else 403
            )
            if response.status_code != expected:
                failures.append(
                    f"{case} as {role}: {response.status_code}, expected {expected}: "
                    f"{response.text[:300]}"
                )
            if role not in case.allowed and row_counts(runtime) != before:
                failures.append(f"{case} as {role}: refused, but changed the database")
    assert not failures, "\n".join(failures)


def test_admins_create_list_and_revoke_tokens(app, runtime, tokens):
    admin = as_role(app, tokens["admin"])
    home = admin.get("/dashboard/")
    assert 'href="/dashboard/tokens"' in home.text
    listed = admin.get("/dashboard/tokens")
    assert listed.status_code == 200
    assert 'admin <small class="muted">(you)</small>' in listed.text
    assert "gone" not in listed.text  # revoked tokens only on request
    assert "gone" in admin.get("/dashboard/tokens?all=1").text

    refused = admin.post(
        "/dashboard/tokens", data={"name": "LMS", "role": "platform", "courses": ""}
    )
    assert refused.status_code == 422
    assert "<strong>courses</strong>: platform tokens need at least one course" in refused.text

    created = admin.post(
        "/dashboard/tokens",
        data={"name": "LMS", "role": "platform", "courses": "course-a, course-b"},
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    assert "shown this once" in created.text
    principal = runtime.tokens.authenticate(token)
    assert (principal.role.value, sorted(principal.courses)) == (
        "platform",
        ["course-a", "course-b"],
    )
    # Shown once: the list never shows it again.
    assert token not in admin.get("/dashboard/tokens").text

    revoked = admin.post(f"/dashboard/tokens/{principal.token_uuid}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    notice = admin.get(revoked.headers["location"])
    assert "Revoked the token of LMS" in notice.text
    assert principal.token_uuid not in notice.text


def test_staff_neither_see_nor_reach_the_token_pages(app, runtime, tokens):
    staff = as_role(app, tokens["staff_a"])
    assert "/dashboard/tokens" not in staff.get("/dashboard/").text
    before = row_counts(runtime)
    for method, path, data in (
        ("GET", "/dashboard/tokens", None),
        ("POST", "/dashboard/tokens", {"name": "mine", "role": "admin", "courses": ""}),
        ("POST", "/dashboard/tokens/anything/revoke", None),
    ):
        response = staff.request(method, path, data=data)
        assert response.status_code == 403, path
        assert "a staff token cannot create, list and revoke API tokens" in response.text
    assert row_counts(runtime) == before
