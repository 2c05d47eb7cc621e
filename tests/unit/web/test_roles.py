"""Every route, called with every role: allowed roles succeed, the others are refused
with 403 (or 404 for a record hidden from them), and a missing or revoked token gets 401."""

from __future__ import annotations

from essaygrader.web.rate_limit import FailureLimiter
from tests.conftest import row_counts
from tests.unit.web.conftest import ROLES, Course, auth
from tests.unit.web.route_cases import CASES, expected_denial


def test_the_table_covers_every_route(app):
    declared = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    covered = {(case.method, case.route) for case in CASES}
    assert declared == covered


def test_each_role_on_each_route(http, runtime, tokens, world):
    # One world for every case keeps this fast; failures are gathered, then reported.
    failures = []
    for case in CASES:
        for role in ROLES:
            before = row_counts(runtime)
            response = http.request(
                case.method,
                case.path(world["a"]),
                json=case.body(role) if case.body else None,
                params=case.params,
                headers=auth(tokens[role]),
            )
            if role in case.allowed:
                expected = case.success
            else:
                expected = expected_denial(case, role)
                if row_counts(runtime) != before:
                    failures.append(f"{case} as {role}: refused, but changed the database")
                body = response.json()
                code = body.get("code", "") if isinstance(body, dict) else ""
                if code != "forbidden" and not code.endswith("not_found"):
                    failures.append(f"{case} as {role}: refused with code {code!r}")
            if response.status_code != expected:
                failures.append(
                    f"{case} as {role}: {response.status_code}, expected {expected}: "
                    f"{response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


def test_without_a_valid_token_nothing_is_answered(app, http, runtime, tokens):
    # The token is checked before anything is looked up, so made-up ids do.
    # Many wrong tokens from one address on purpose: the rate limit has its own tests.
    app.state.api_auth_limiter = FailureLimiter(0, 60)
    nowhere = Course("course-a", "item-1", *(f"uuid-{n}" for n in range(5)))
    before = row_counts(runtime)
    failures = []
    for case in CASES:
        if case.public:
            continue
        for headers in (
            {},
            auth("eg_not-a-token"),
            auth(tokens["revoked"]),
            {"Authorization": "Basic x"},
        ):
            response = http.request(
                case.method,
                case.path(nowhere),
                json=case.body("anonymous") if case.body else None,
                params=case.params,
                headers=headers,
            )
            if (
                response.status_code != 401
                or response.json()["code"] != "unauthenticated"
                or response.headers.get("www-authenticate") != "Bearer"
            ):
                failures.append(f"{case} with {headers}: {response.status_code} {response.text}")
    assert not failures, "\n".join(failures)
    assert row_counts(runtime) == before


def test_forbidden_responses_say_why(http, tokens, world):
    role = http.get("/api/v1/items", headers=auth(tokens["platform_a"])).json()
    assert role == {
        "code": "forbidden",
        "message": "a platform token cannot read items",
        "field": None,
    }
    course = http.get(
        "/api/v1/courses/course-b/items/item-1", headers=auth(tokens["staff_a"])
    ).json()
    assert course == {
        "code": "forbidden",
        "message": "course_id: this token does not reach course 'course-b'",
        "field": "course_id",
    }
    worker = http.get("/api/v1/status", headers=auth(tokens["worker"])).json()
    assert worker["message"] == "a worker token cannot read the backlog"
