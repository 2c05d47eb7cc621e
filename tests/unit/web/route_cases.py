"""Every route of the HTTP API, with who may call it: the access policy, written out.

Roles (see ``conftest.tokens``): ``staff_a`` and ``platform_a`` reach course a,
``staff_b`` and ``platform_b`` course b, ``staff_ab`` both. Requests name course a's
records, so a course-b token is an outsider. ``hidden_from`` lists the outsiders that get
404 (a record addressed by uuid is hidden, exactly as if missing) instead of 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.factories import RUBRIC, essay, examples
from tests.unit.web.conftest import Course

EVERYONE = frozenset({"admin", "staff_a", "staff_ab", "staff_b", "platform_a", "platform_b"})
ADMIN = frozenset({"admin"})
STAFF_OF_A = frozenset({"admin", "staff_a", "staff_ab"})
STAFF_ANYWHERE = STAFF_OF_A | {"staff_b"}
SUBMITTERS_TO_A = frozenset({"admin", "platform_a"})
READERS_OF_A = STAFF_OF_A | {"platform_a"}
OUTSIDE_READERS = frozenset({"staff_b", "platform_b"})


@dataclass(frozen=True)
class RouteCase:
    """One request to one route.

    Attributes:
        route: The route's template, as the app declares it.
        path: Builds the concrete path from a course's records.
        allowed: Roles that get ``success`` for course a's records.
        body: Builds the JSON body, given the role (creations must not collide).
        params: Query parameters.
        hidden_from: Outsiders answered 404 rather than 403.
        public: Answers without a token.
    """

    name: str
    method: str
    route: str
    path: Callable[[Course], str]
    allowed: frozenset[str]
    success: int = 200
    body: Callable[[str], Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    hidden_from: frozenset[str] = frozenset()
    public: bool = False

    def __str__(self) -> str:
        return self.name


def _item(c: Course, rest: str = "") -> str:
    return f"/api/v1/courses/{c.course_id}/items/{c.item_id}{rest}"


ITEM = "/api/v1/courses/{course_id}/items/{item_id}"

CASES = [
    RouteCase(
        "list courses", "GET", "/api/v1/courses", lambda c: "/api/v1/courses", STAFF_ANYWHERE
    ),
    RouteCase("list items", "GET", "/api/v1/items", lambda c: "/api/v1/items", STAFF_ANYWHERE),
    RouteCase(
        "list items of a course",
        "GET",
        "/api/v1/items",
        lambda c: "/api/v1/items",
        STAFF_OF_A,
        params={"course_id": "course-a"},
    ),
    RouteCase(
        "create item",
        "POST",
        "/api/v1/courses/{course_id}/items",
        lambda c: f"/api/v1/courses/{c.course_id}/items",
        STAFF_OF_A,
        success=201,
        body=lambda role: {"item_id": f"new-{role}", "rubric": RUBRIC},
    ),
    RouteCase("get item", "GET", ITEM, _item, STAFF_OF_A),
    RouteCase(
        "update item",
        "PATCH",
        ITEM,
        _item,
        STAFF_OF_A,
        body=lambda role: {"prompt": f"Changed by {role}."},
    ),
    RouteCase(
        "train",
        "POST",
        f"{ITEM}/training",
        lambda c: _item(c, "/training"),
        STAFF_OF_A,
        success=202,
        body=lambda role: {"examples": examples(20)},
    ),
    RouteCase(
        "check examples",
        "POST",
        f"{ITEM}/training/check",
        lambda c: _item(c, "/training/check"),
        STAFF_OF_A,
        body=lambda role: {"examples": examples(20)},
    ),
    RouteCase(
        "list training", "GET", f"{ITEM}/training", lambda c: _item(c, "/training"), STAFF_OF_A
    ),
    RouteCase(
        "get training workflow",
        "GET",
        "/api/v1/workflows/training/{workflow_uuid}",
        lambda c: f"/api/v1/workflows/training/{c.training_workflow_uuid}",
        STAFF_OF_A,
        hidden_from=frozenset({"staff_b"}),
    ),
    RouteCase(
        "current classifier set",
        "GET",
        f"{ITEM}/classifier-set",
        lambda c: _item(c, "/classifier-set"),
        STAFF_OF_A,
    ),
    RouteCase(
        "list classifier sets",
        "GET",
        f"{ITEM}/classifier-sets",
        lambda c: _item(c, "/classifier-sets"),
        STAFF_OF_A,
    ),
    RouteCase(
        "submit",
        "POST",
        f"{ITEM}/submissions",
        lambda c: _item(c, "/submissions"),
        SUBMITTERS_TO_A,
        success=201,
        body=lambda role: {"student_id": f"by-{role}", "answer": essay(40)},
    ),
    RouteCase(
        "submit a batch",
        "POST",
        f"{ITEM}/submissions/batch",
        lambda c: _item(c, "/submissions/batch"),
        SUBMITTERS_TO_A,
        success=201,
        body=lambda role: {
            "submissions": [
                {"student_id": f"by-{role}-1", "answer": essay(30)},
                {"student_id": f"by-{role}-2", "answer": {"parts": ["One.", essay(50)]}},
            ]
        },
    ),
    RouteCase(
        "list submissions",
        "GET",
        f"{ITEM}/submissions",
        lambda c: _item(c, "/submissions"),
        STAFF_OF_A,
    ),
    RouteCase(
        "grade next",
        "GET",
        f"{ITEM}/grade-next",
        lambda c: _item(c, "/grade-next"),
        STAFF_OF_A,
        params={"limit": 3},
    ),
    RouteCase(
        "get submission",
        "GET",
        "/api/v1/submissions/{submission_uuid}",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}",
        READERS_OF_A,
        hidden_from=OUTSIDE_READERS,
    ),
    RouteCase(
        "latest assessment",
        "GET",
        "/api/v1/submissions/{submission_uuid}/assessment",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}/assessment",
        READERS_OF_A,
        hidden_from=OUTSIDE_READERS,
    ),
    RouteCase(
        "scores by criterion",
        "GET",
        "/api/v1/submissions/{submission_uuid}/scores",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}/scores",
        READERS_OF_A,
        hidden_from=OUTSIDE_READERS,
    ),
    RouteCase(
        "staff assessment",
        "POST",
        "/api/v1/submissions/{submission_uuid}/staff-assessment",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}/staff-assessment",
        STAFF_OF_A,
        success=201,
        body=lambda role: {
            "options_selected": {"ideas": "good", "conventions": "few errors"},
            "feedback": {"feedback": f"Graded by {role}."},
            "overall_feedback": "",
        },
        hidden_from=frozenset({"staff_b"}),
    ),
    RouteCase(
        "assessment history",
        "GET",
        "/api/v1/submissions/{submission_uuid}/assessments",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}/assessments",
        STAFF_OF_A,
        hidden_from=frozenset({"staff_b"}),
    ),
    RouteCase(
        "confirm a review",
        "POST",
        "/api/v1/submissions/{submission_uuid}/review",
        lambda c: f"/api/v1/submissions/{c.submission_uuid}/review",
        STAFF_OF_A,
        # Access granted, and the API answers that nothing of it is held for review.
        success=409,
        body=lambda role: {"action": "confirm"},
        hidden_from=frozenset({"staff_b"}),
    ),
    RouteCase("review queue", "GET", f"{ITEM}/review", lambda c: _item(c, "/review"), STAFF_OF_A),
    RouteCase(
        "train from graded submissions",
        "POST",
        f"{ITEM}/training",
        lambda c: _item(c, "/training"),
        STAFF_OF_A,
        # Access granted; course a's item has no staff-graded submission of its own yet.
        success=422,
        body=lambda role: {"from_graded_submissions": True},
    ),
    RouteCase(
        "get grading workflow",
        "GET",
        "/api/v1/workflows/grading/{workflow_uuid}",
        lambda c: f"/api/v1/workflows/grading/{c.grading_workflow_uuid}",
        READERS_OF_A,
        hidden_from=OUTSIDE_READERS,
    ),
    RouteCase(
        "grading workflow statuses",
        "POST",
        "/api/v1/workflows/statuses",
        lambda c: "/api/v1/workflows/statuses",
        # Outsiders may ask, and are told nothing about course a's workflows.
        EVERYONE,
        body=lambda role: {"workflow_uuids": [], "task_type": "grade"},
    ),
    RouteCase(
        "training workflow statuses",
        "POST",
        "/api/v1/workflows/statuses",
        lambda c: "/api/v1/workflows/statuses",
        STAFF_ANYWHERE,
        body=lambda role: {"workflow_uuids": [], "task_type": "train"},
    ),
    RouteCase("backlog", "GET", "/api/v1/status", lambda c: "/api/v1/status", STAFF_ANYWHERE),
    RouteCase(
        "backlog of a course",
        "GET",
        "/api/v1/status",
        lambda c: "/api/v1/status",
        STAFF_OF_A,
        params={"course_id": "course-a"},
    ),
    RouteCase(
        "backlog of an item",
        "GET",
        "/api/v1/status",
        lambda c: "/api/v1/status",
        STAFF_OF_A,
        params={"course_id": "course-a", "item_id": "item-1"},
    ),
    RouteCase(
        "reschedule an item",
        "POST",
        f"{ITEM}/reschedule",
        lambda c: _item(c, "/reschedule"),
        STAFF_OF_A,
        params={"task_type": "grade"},
    ),
    RouteCase(
        "reschedule a course",
        "POST",
        "/api/v1/courses/{course_id}/reschedule",
        lambda c: f"/api/v1/courses/{c.course_id}/reschedule",
        STAFF_OF_A,
    ),
    RouteCase(
        "erase a student",
        "POST",
        "/api/v1/courses/{course_id}/erasures",
        lambda c: f"/api/v1/courses/{c.course_id}/erasures",
        STAFF_OF_A,
        # A student of nobody: the world's records stay for the other cases.
        body=lambda role: {"student_id": f"gone-{role}"},
    ),
    RouteCase("audit log", "GET", "/api/v1/audit", lambda c: "/api/v1/audit", ADMIN),
    RouteCase(
        "register an LTI platform",
        "POST",
        "/api/v1/lti/platforms",
        lambda c: "/api/v1/lti/platforms",
        ADMIN,
        success=201,
        body=lambda role: {
            "issuer": f"https://lms-{role}.example.org",
            "client_id": "tool-1",
            "deployment_ids": ["1"],
            "auth_login_url": "https://lms.example.org/auth",
            "auth_token_url": "https://lms.example.org/token",
            "keyset_url": "https://lms.example.org/jwks",
        },
    ),
    RouteCase(
        "LTI platforms", "GET", "/api/v1/lti/platforms", lambda c: "/api/v1/lti/platforms", ADMIN
    ),
    RouteCase("LTI tool URLs", "GET", "/api/v1/lti/config", lambda c: "/api/v1/lti/config", ADMIN),
    RouteCase(
        "rotate the LTI key",
        "POST",
        "/api/v1/lti/keys/rotate",
        lambda c: "/api/v1/lti/keys/rotate",
        ADMIN,
    ),
    RouteCase(
        "register a webhook",
        "POST",
        "/api/v1/courses/{course_id}/webhooks",
        lambda c: f"/api/v1/courses/{c.course_id}/webhooks",
        ADMIN,
        success=201,
        body=lambda role: {
            "url": f"https://lms.example.org/hooks/{role}",
            "secret": "a-secret-of-16-chars-or-more",
            "events": ["assessment.released"],
        },
    ),
    RouteCase(
        "webhooks",
        "GET",
        "/api/v1/courses/{course_id}/webhooks",
        lambda c: f"/api/v1/courses/{c.course_id}/webhooks",
        ADMIN,
    ),
    RouteCase(
        "webhook deliveries",
        "GET",
        "/api/v1/courses/{course_id}/webhook-deliveries",
        lambda c: f"/api/v1/courses/{c.course_id}/webhook-deliveries",
        ADMIN,
    ),
    RouteCase("metrics", "GET", "/metrics", lambda c: "/metrics", ADMIN),
    RouteCase(
        "liveness", "GET", "/healthz", lambda c: "/healthz", EVERYONE | {"worker"}, public=True
    ),
    RouteCase(
        "readiness", "GET", "/readyz", lambda c: "/readyz", EVERYONE | {"worker"}, public=True
    ),
]


def expected_denial(case: RouteCase, role: str) -> int:
    """The status a role outside ``case.allowed`` gets."""
    return 404 if role in case.hidden_from else 403


# The dashboard ------------------------------------------------------------------------
# Its pages take the token from the sign-in cookie. Only admin and staff tokens may use
# it; platform and worker tokens are refused (403) on every page.

DASHBOARD_USERS = frozenset({"admin", "staff_a", "staff_ab", "staff_b"})
DASHBOARD_OF_A = frozenset({"admin", "staff_a", "staff_ab"})


@dataclass(frozen=True)
class DashboardCase:
    """One request to one dashboard route, made with the role's token in the cookie.

    Attributes:
        path: Builds the path from course a's records and a spare token's uuid.
        data: Builds the form fields from the role; ``files`` the uploads.
        hidden_from: Roles answered 404 rather than 403: a record addressed by uuid in a
            course the token does not reach is hidden, exactly as if missing.
        public: Answers without signing in (signing in and out).
    """

    name: str
    method: str
    route: str
    path: Callable[[Course, str], str]
    allowed: frozenset[str]
    success: int = 200
    data: Callable[[str], dict[str, Any]] | None = None
    files: Callable[[], dict[str, Any]] | None = None
    hidden_from: frozenset[str] = frozenset()
    public: bool = False

    def __str__(self) -> str:
        return self.name


def _page(rest: str = "") -> Callable[[Course, str], str]:
    return lambda c, spare: f"/dashboard/courses/{c.course_id}/items/{c.item_id}{rest}"


def _examples_upload() -> dict[str, Any]:
    rows = ["text,ideas,conventions"] + [
        f'"{e["text"]}",{e["options_selected"]["ideas"]},{e["options_selected"]["conventions"]}'
        for e in examples(20)
    ]
    return {"examples": ("graded.csv", "\n".join(rows).encode(), "text/csv")}


DPAGE = "/dashboard/courses/{course_id}/items/{item_id}"

DASHBOARD_CASES = [
    DashboardCase(
        "sign-in page",
        "GET",
        "/dashboard/sign-in",
        lambda c, s: "/dashboard/sign-in",
        EVERYONE | {"worker"},
        public=True,
    ),
    DashboardCase(
        "sign in",
        "POST",
        "/dashboard/sign-in",
        lambda c, s: "/dashboard/sign-in",
        EVERYONE | {"worker"},
        success=401,
        data=lambda role: {"token": "eg_wrong"},
        public=True,
    ),
    DashboardCase(
        "sign out",
        "POST",
        "/dashboard/sign-out",
        lambda c, s: "/dashboard/sign-out",
        EVERYONE | {"worker"},
        success=303,
        public=True,
    ),
    DashboardCase("home", "GET", "/dashboard/", lambda c, s: "/dashboard/", DASHBOARD_USERS),
    DashboardCase(
        "open a course",
        "GET",
        "/dashboard/open",
        lambda c, s: f"/dashboard/open?course_id={c.course_id}",
        DASHBOARD_OF_A,
        success=303,
    ),
    DashboardCase(
        "course",
        "GET",
        "/dashboard/courses/{course_id}",
        lambda c, s: f"/dashboard/courses/{c.course_id}",
        DASHBOARD_OF_A,
    ),
    DashboardCase("item", "GET", DPAGE, _page(), DASHBOARD_OF_A),
    DashboardCase(
        "training status",
        "GET",
        f"{DPAGE}/training/{{workflow_uuid}}/status",
        lambda c, s: _page(f"/training/{c.training_workflow_uuid}/status")(c, s),
        DASHBOARD_OF_A,
    ),
    DashboardCase("quality", "GET", f"{DPAGE}/quality", _page("/quality"), DASHBOARD_OF_A),
    DashboardCase(
        "submissions", "GET", f"{DPAGE}/submissions", _page("/submissions"), DASHBOARD_OF_A
    ),
    DashboardCase(
        "erase a student",
        "POST",
        "/dashboard/courses/{course_id}/erasures",
        lambda c, s: f"/dashboard/courses/{c.course_id}/erasures",
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"student_id": f"gone-{role}", "confirm": "erase"},
    ),
    DashboardCase(
        "results download",
        "GET",
        f"{DPAGE}/results.csv",
        _page("/results.csv"),
        DASHBOARD_OF_A,
    ),
    DashboardCase(
        "create an item",
        "POST",
        "/dashboard/courses/{course_id}/items",
        lambda c, s: f"/dashboard/courses/{c.course_id}/items",
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"item_id": f"new-{role}", "rubric": json.dumps(RUBRIC)},
    ),
    DashboardCase(
        "train",
        "POST",
        f"{DPAGE}/train",
        _page("/train"),
        DASHBOARD_OF_A,
        success=303,
        files=_examples_upload,
    ),
    DashboardCase(
        "reschedule an item",
        "POST",
        f"{DPAGE}/reschedule",
        _page("/reschedule"),
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"task_type": "grade"},
    ),
    DashboardCase(
        "reschedule a course",
        "POST",
        "/dashboard/courses/{course_id}/reschedule",
        lambda c, s: f"/dashboard/courses/{c.course_id}/reschedule",
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"task_type": "grade"},
    ),
    DashboardCase(
        "essay",
        "GET",
        "/dashboard/submissions/{submission_uuid}",
        lambda c, s: f"/dashboard/submissions/{c.submission_uuid}",
        DASHBOARD_OF_A,
        hidden_from=frozenset({"staff_b"}),
    ),
    DashboardCase(
        "grade an essay",
        "POST",
        "/dashboard/submissions/{submission_uuid}/staff-assessment",
        lambda c, s: f"/dashboard/submissions/{c.submission_uuid}/staff-assessment",
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"option:ideas": "good", "option:conventions": "few errors"},
        hidden_from=frozenset({"staff_b"}),
    ),
    DashboardCase(
        # Nothing is held in the fixture: allowed roles are told so and sent on (303).
        "confirm a held grade",
        "POST",
        "/dashboard/submissions/{submission_uuid}/review",
        lambda c, s: f"/dashboard/submissions/{c.submission_uuid}/review",
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"back": "list"},
        hidden_from=frozenset({"staff_b"}),
    ),
    DashboardCase("grade next", "GET", f"{DPAGE}/grade-next", _page("/grade-next"), DASHBOARD_OF_A),
    DashboardCase("review queue", "GET", f"{DPAGE}/review", _page("/review"), DASHBOARD_OF_A),
    DashboardCase(
        "results as CSV", "GET", f"{DPAGE}/results.csv", _page("/results.csv"), DASHBOARD_OF_A
    ),
    DashboardCase(
        # The fixture has fewer staff grades than training needs: allowed roles get that
        # refusal (422), the others are refused access first.
        "train from graded submissions",
        "POST",
        f"{DPAGE}/train-from-graded",
        _page("/train-from-graded"),
        DASHBOARD_OF_A,
        success=422,
    ),
    DashboardCase(
        "review settings",
        "POST",
        f"{DPAGE}/settings",
        _page("/settings"),
        DASHBOARD_OF_A,
        success=303,
        data=lambda role: {"review_policy": "flagged", "review_confidence_below": "0.4"},
    ),
    DashboardCase("tokens", "GET", "/dashboard/tokens", lambda c, s: "/dashboard/tokens", ADMIN),
    DashboardCase(
        "create a token",
        "POST",
        "/dashboard/tokens",
        lambda c, s: "/dashboard/tokens",
        ADMIN,
        data=lambda role: {
            "name": "made in the dashboard",
            "role": "platform",
            "courses": "course-a",
        },
    ),
    DashboardCase(
        "revoke a token",
        "POST",
        "/dashboard/tokens/{token_uuid}/revoke",
        lambda c, spare: f"/dashboard/tokens/{spare}/revoke",
        ADMIN,
        success=303,
    ),
]
