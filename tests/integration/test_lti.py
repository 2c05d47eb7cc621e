"""The LTI 1.3 tool against a real LTI 1.3 platform (``lti1p3platform``) on loopback.

Both run as HTTP servers; an httpx client plays the browser, following the OIDC login
from the tool to the platform's authorization endpoint and posting the signed id token
back to the tool. The platform checks the tool's deep-linking answer and its AGS access
token requests against the tool's JWKS, fetched over HTTP, and records the scores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from essaygrader.cli.main import cli
from essaygrader.config import Settings
from essaygrader.db.models import LtiPassbackRecord, LtiSessionRecord, utcnow
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from tests.factories import RUBRIC, essay, train_with_metrics
from tests.integration.live_server import LiveServer
from tests.lti_platform import INSTRUCTOR, LEARNER, TestPlatform, new_private_key

pytestmark = pytest.mark.integration

COURSE = "canvas-course-7"


class Deferred:
    """An ASGI app set after the server has its port (the tool's URLs name it)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture
def lms(tmp_path, request) -> Iterator[dict[str, Any]]:
    # SQLite, unless the test asks for ``database_url`` (then on both databases).
    database_url = (
        request.getfixturevalue("database_url") if "database_url" in request.fixturenames else ""
    )
    tool_app, platform_app = Deferred(), Deferred()
    tool_server, platform_server = LiveServer(tool_app), LiveServer(platform_app)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        default_algorithm="fake",
        public_url=tool_server.url,
        retry_backoff_seconds=0.01,
        retry_backoff_max_seconds=0.02,
    )
    queue = InProcessTaskQueue()
    runtime = Runtime(settings, task_queue=queue)
    platform = TestPlatform(
        issuer=platform_server.url, client_id="essaygrader-client", deployment_id="deploy-1"
    )
    platform.url, platform.tool_url = platform_server.url, tool_server.url
    tool_app.app, platform_app.app = create_app(runtime), platform.app
    tool_server.start()
    platform_server.start()
    runtime.lti.register_platform(
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=["deploy-1"],
        auth_login_url=f"{platform.url}/auth",
        auth_token_url=f"{platform.url}/token",
        keyset_url=f"{platform.url}/jwks",
    )
    try:
        yield {"runtime": runtime, "queue": queue, "platform": platform, "tool": tool_server.url}
    finally:
        while CLIENTS:
            CLIENTS.pop().close()
        tool_server.stop()
        platform_server.stop()
        runtime.close()


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form method="post" action="([^"]+)"', html)
    assert action, html
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return unescape(action.group(1)), {k: unescape(v) for k, v in fields.items()}


def login(browser: httpx.Client, lms: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The platform starts the OIDC login at the tool; the browser follows it to the
    platform's authorization endpoint, which answers with the launch form."""
    platform = lms["platform"]
    query = {
        "iss": platform.issuer,
        "login_hint": platform.next.user,
        "target_link_uri": f"{lms['tool']}/lti/launch",
        "lti_message_hint": platform.next.resource_link,
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    answer = browser.get(f"{lms['tool']}/lti/login?{urlencode(query)}", follow_redirects=True)
    assert answer.status_code == 200, answer.text
    return _form(answer.text)


def launch(browser: httpx.Client, lms: dict[str, Any]) -> httpx.Response:
    action, fields = login(browser, lms)
    return browser.post(action, data=fields, follow_redirects=True)


CLIENTS: list[httpx.Client] = []


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


def browser() -> httpx.Client:
    """A new browser: its own cookie jar (closed when the test's servers stop)."""
    client = httpx.Client(timeout=30)
    CLIENTS.append(client)
    return client


def _item(runtime: Runtime, queue: InProcessTaskQueue, review_policy: str = "all") -> None:
    runtime.client.create_item(COURSE, "essay-1", RUBRIC, prompt="Write about gardens.")
    runtime.client.update_item(COURSE, "essay-1", review_policy=review_policy)
    train_with_metrics(runtime, COURSE, "essay-1", None)
    queue.join()


def test_deep_link_launch_submit_grade_and_passback(lms, database_url):
    runtime, queue, platform = lms["runtime"], lms["queue"], lms["platform"]
    _item(runtime, queue)

    # The instructor adds the assignment from the platform: deep linking.
    staff = browser()
    platform.prepare(user="teacher-1", roles=[INSTRUCTOR], deep_linking=True)
    picker = launch(staff, lms)
    assert picker.status_code == 200, picker.text
    assert "essay-1" in picker.text
    # Or create one: the dashboard's item form, prefilled from the platform's request, to
    # which the launch signed the instructor in.
    create = re.search(r'href="(/dashboard/courses/[^"]+)"', picker.text)
    assert create, picker.text
    form = staff.get(f"{lms['tool']}{unescape(create.group(1))}")
    assert form.status_code == 200
    assert 'name="item_id" value="essays"' in form.text
    answer = staff.post(
        f"{lms['tool']}/lti/deep-link", data={"item_id": "essay-1", "token": form_token(picker)}
    )
    action, fields = _form(answer.text)
    assert action == f"{platform.url}/deep-link-return"
    assert staff.post(action, data=fields).json() == {"received": 1}
    [content] = platform.content_items
    assert content["type"] == "ltiResourceLink"
    assert content["lineItem"]["scoreMaximum"] == 5  # 2 + 3 points: the rubric's maximum
    assert content["custom"]["essaygrader_item_id"] == "essay-1"

    # A student opens the new link (the platform sends the custom parameters and the
    # line item it made) and submits an essay.
    student = browser()
    platform.prepare(
        user="learner-1",
        roles=[LEARNER],
        resource_link="link-essay-1",
        custom=content["custom"],
        lineitem=platform.lineitem_url("1"),
    )
    page = launch(student, lms)
    assert page.status_code == 200, page.text
    token = form_token(page)
    assert "Write about gardens." in page.text
    assert "learner-1" in page.text
    assert COURSE in page.text
    forged = student.post(f"{lms['tool']}/lti/student", data={"essay": essay(60, seed=3)})
    assert forged.status_code == 403  # no form token: another site's form
    page = student.post(
        f"{lms['tool']}/lti/student",
        data={"essay": essay(60, seed=3), "token": token},
        follow_redirects=True,
    )
    assert "Submitted; being graded." in page.text or "waiting for course staff" in page.text
    queue.join()

    # Held for review (policy "all"): the platform hears PendingManual, with no score.
    progress = [s["gradingProgress"] for s in platform.scores]
    assert progress[-1] == "PendingManual", platform.scores
    assert "scoreGiven" not in platform.scores[-1]
    assert platform.scores[-1]["userId"] == "learner-1"
    page = student.get(f"{lms['tool']}/lti/student")
    assert "waiting for course staff to review" in page.text

    # Staff confirm: FullyGraded with the points, once.
    [submission] = runtime.client.list_reviews(COURSE, "essay-1")["reviews"]
    runtime.client.review_assessment(submission["submission_uuid"], "confirm")
    queue.join()
    last = platform.scores[-1]
    assert last["gradingProgress"] == "FullyGraded"
    assert last["activityProgress"] == "Completed"
    assert last["scoreMaximum"] == 5
    assert 0 <= last["scoreGiven"] <= 5
    sent = len(platform.scores)
    runtime.lti.reschedule_passbacks()  # nothing owed: nothing sent again
    queue.join()
    assert len(platform.scores) == sent

    page = student.get(f"{lms['tool']}/lti/student")
    assert f"{last['scoreGiven']} / 5" in page.text
    assert "This assignment takes one submission." in page.text
    again = student.post(
        f"{lms['tool']}/lti/student",
        data={"essay": essay(50, seed=4), "token": token},
    )
    assert again.status_code == 403

    # A staff grade replaces it: the platform gets the new score.
    runtime.client.create_staff_assessment(
        submission["submission_uuid"],
        {"ideas": "good", "conventions": "few errors"},
        scorer_id="teacher-1",
    )
    queue.join()
    assert platform.scores[-1]["scoreGiven"] == 5
    assert platform.token_requests == 1  # the access token is reused while valid

    # The instructor's launch of the link opens the dashboard for that course only.
    platform.prepare(
        user="teacher-1",
        roles=[INSTRUCTOR],
        resource_link="link-essay-1",
        custom=content["custom"],
    )
    dashboard = launch(staff, lms)
    assert dashboard.status_code == 200, dashboard.text
    assert dashboard.url.path == f"/dashboard/courses/{COURSE}/items/essay-1"
    other = staff.get(f"{lms['tool']}/dashboard/courses/another-course")
    assert other.status_code in (403, 404)

    # The dashboard token lasts no longer than the launch's session: once that expires,
    # housekeeping revokes it, and the dashboard asks to sign in again.
    assert runtime.housekeeping.run()["lti_staff_tokens_revoked"] == 0
    with runtime.database.transaction() as session:
        session.execute(update(LtiSessionRecord).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert runtime.housekeeping.run()["lti_staff_tokens_revoked"] == 1
    expired = staff.get(f"{lms['tool']}/dashboard/courses/{COURSE}")
    assert expired.status_code == 303
    assert "sign-in" in expired.headers["location"]
    assert runtime.housekeeping.run()["lti_staff_tokens_revoked"] == 0


def test_passback_failures_are_retried_kept_and_rescheduled(lms):
    runtime, queue, platform = lms["runtime"], lms["queue"], lms["platform"]
    _item(runtime, queue, review_policy="none")
    student = browser()
    platform.prepare(custom={"essaygrader_item_id": "essay-1"}, lineitem=platform.lineitem_url("2"))
    page = launch(student, lms)
    platform.fail_scores = 1  # the first score post gets 503: retried
    student.post(
        f"{lms['tool']}/lti/student",
        data={"essay": essay(60, seed=5), "token": form_token(page)},
    )
    queue.join()
    assert platform.scores[-1]["gradingProgress"] == "FullyGraded"
    with runtime.database.transaction() as session:
        [row] = session.query(LtiPassbackRecord).all()
        assert (row.due, row.last_error) == (False, None)
        assert row.attempts >= 2

    # The platform stays down past every retry: the failure is kept and visible, and
    # rescheduling sends it once the platform is back.
    uuid = row.submission_uuid
    runtime.client.create_staff_assessment(
        uuid, {"ideas": "poor", "conventions": "many errors"}, scorer_id="teacher-1"
    )
    platform.fail_scores = 100
    queue.join()
    [failed] = runtime.lti.list_passbacks(failed_only=True)
    assert failed["due"]
    assert "503" in failed["last_error"]
    result = CliRunner().invoke(
        cli,
        ["lti", "passbacks", "--failed"],
        env={"ESSAYGRADER_DATA_DIR": str(runtime.settings.data_dir)},
    )
    assert uuid in result.output, result.output
    assert "503" in result.output
    platform.fail_scores = 0
    # `essaygrader reschedule` queues it (on the command's own broker here) ...
    result = CliRunner().invoke(
        cli,
        ["reschedule", "--course", COURSE],
        env={"ESSAYGRADER_DATA_DIR": str(runtime.settings.data_dir)},
    )
    assert "queued 1 grade passback and 0 webhook deliveries" in result.output, result.output
    # ... as does the API, on this test's queue.
    assert runtime.lti.reschedule_passbacks() == 1
    queue.join()
    assert platform.scores[-1]["scoreGiven"] == 0
    assert runtime.lti.list_passbacks(failed_only=True) == []

    # Erasing the student's data takes the passback record with the submission.
    runtime.client.erase_student(COURSE, "learner-1")
    assert runtime.lti.list_passbacks() == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad signature", "signature does not verify"),
        ("unknown key", "keyset has no key"),
        ("expired", "has expired"),
        ("unknown deployment", "deployment 'deploy-9' is not registered"),
        ("wrong audience", "not meant for this tool"),
        ("wrong version", "LTI version must be 1.3.0"),
        ("no roles", "roles claim is missing"),
    ],
)
def test_refused_launches(lms, case, expected):
    platform = lms["platform"]
    changes: dict[str, Any] = {
        "bad signature": {"tamper": True},
        "unknown key": {"signing_key": new_private_key()},
        "expired": {"expiration": -300},
        "unknown deployment": {
            "override": {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deploy-9"}
        },
        "wrong audience": {"override": {"aud": "someone-else", "azp": "someone-else"}},
        "wrong version": {"override": {"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"}},
        "no roles": {"override": {"https://purl.imsglobal.org/spec/lti/claim/roles": None}},
    }[case]
    platform.prepare(**changes)
    answer = launch(browser(), lms)
    assert answer.status_code in (401, 403), answer.text
    assert expected in unescape(answer.text)
    assert "essaygrader_lti=" not in answer.headers.get("set-cookie", "")


def test_replayed_launch_and_state_of_another_browser(lms):
    platform = lms["platform"]
    platform.prepare(custom={"essaygrader_item_id": "essay-1"})
    first = browser()
    action, fields = login(first, lms)
    assert first.post(action, data=fields).status_code == 303
    # The same id token and state again, with the state's cookie: the state (and its
    # nonce) are spent.
    replay = browser().post(
        action, data=fields, headers={"Cookie": f"essaygrader_lti_state={fields['state']}"}
    )
    assert replay.status_code == 403
    assert "unknown, used or expired" in replay.text
    # A fresh login, but the old token (its nonce belongs to the first login).
    action, fresh = login(first, lms)
    stale = first.post(action, data={"id_token": fields["id_token"], "state": fresh["state"]})
    assert stale.status_code == 403
    assert "nonce is not this login" in unescape(stale.text)
    # Another browser posting a state it did not start: no cookie, refused.
    action, fields = login(first, lms)
    other = browser().post(action, data=fields)
    assert other.status_code == 403
    assert "does not match this browser" in other.text


def test_a_student_cannot_open_staff_views(lms):
    runtime, queue, platform = lms["runtime"], lms["queue"], lms["platform"]
    _item(runtime, queue)
    student = browser()
    platform.prepare(roles=[LEARNER], deep_linking=True)
    refused = launch(student, lms)
    assert refused.status_code == 403
    assert "only course staff" in refused.text
    platform.prepare(roles=[LEARNER], custom={"essaygrader_item_id": "essay-1"})
    assert launch(student, lms).status_code == 200
    assert student.get(f"{lms['tool']}/lti/deep-link").status_code == 403
    dashboard = student.get(f"{lms['tool']}/dashboard/courses/{COURSE}")
    # Not signed in to the dashboard: sent to its sign-in page.
    assert dashboard.status_code == 303
    assert "sign-in" in dashboard.headers["location"]


def test_jwks_rotation_and_commands(lms, tmp_path):
    runtime = lms["runtime"]
    data: list[str] = []
    runner = CliRunner(
        env={
            "ESSAYGRADER_DATA_DIR": str(runtime.settings.data_dir),
            "ESSAYGRADER_PUBLIC_URL": lms["tool"],
        }
    )
    before = browser().get(f"{lms['tool']}/lti/jwks").json()["keys"]
    assert all("d" not in key and "p" not in key for key in before)  # public parts only
    rotated = runner.invoke(cli, [*data, "lti", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    after = browser().get(f"{lms['tool']}/lti/jwks").json()["keys"]
    assert {k["kid"] for k in before} < {k["kid"] for k in after}  # the old one stays
    listed = runner.invoke(cli, [*data, "lti", "list"])
    assert lms["platform"].issuer in listed.output
    config = runner.invoke(cli, [*data, "lti", "config"])
    assert f"{lms['tool']}/lti/jwks" in config.output
    registered = runner.invoke(
        cli,
        [
            *data,
            "lti",
            "register-platform",
            "--issuer",
            "https://canvas.example.edu",
            "--client-id",
            "1000001",
            "--deployment-id",
            "7:abc",
            "--auth-login-url",
            "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "--auth-token-url",
            "https://sso.canvaslms.com/login/oauth2/token",
            "--keyset-url",
            "not a url",
        ],
    )
    assert registered.exit_code != 0
    assert "keyset_url" in registered.output


def test_the_student_page_in_a_browser(lms):
    """Chromium follows the real flow: the platform's login redirect, its auto-posted
    launch form, then the student writes, submits and reads the grade."""
    from playwright.sync_api import sync_playwright

    from tests.integration.test_dashboard_browser import CHROMIUM_ARGS, SCREENSHOTS, chromium

    executable = chromium()
    runtime, queue, platform = lms["runtime"], lms["queue"], lms["platform"]
    _item(runtime, queue, review_policy="none")
    platform.prepare(
        custom={"essaygrader_item_id": "essay-1", "essaygrader_resubmission": "allowed"},
        lineitem=platform.lineitem_url("3"),
    )
    query = {
        "iss": platform.issuer,
        "login_hint": "learner-1",
        "target_link_uri": f"{lms['tool']}/lti/launch",
        "lti_message_hint": "link-1",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chrome = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = chrome.new_page(viewport={"width": 1000, "height": 800})
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{lms['tool']}/lti/login?{urlencode(query)}")
        page.wait_for_url(f"{lms['tool']}/lti/student")
        assert page.get_by_text("Write about gardens.").is_visible()
        assert "learner-1" in page.locator("#mapping").inner_text()
        page.get_by_label("Your essay").fill(essay(70, seed=11))
        page.get_by_role("button", name="Submit").click()
        page.wait_for_url(f"{lms['tool']}/lti/student")
        queue.join()
        page.reload()
        total = page.locator(".total").inner_text()
        assert total.endswith("/ 5")
        assert page.locator("table.grades tr").count() == 3  # a header, two scored criteria
        assert page.get_by_label("Submit again").is_visible()  # resubmission allowed
        page.screenshot(path=str(SCREENSHOTS / "lti-student.png"), full_page=True)
        chrome.close()
    assert errors == []
    assert platform.scores[-1]["gradingProgress"] == "FullyGraded"
    assert f"{platform.scores[-1]['scoreGiven']} / 5" == total
