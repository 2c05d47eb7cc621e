"""The staff dashboard through its HTML: sign-in, scope, forms, uploads, charts, backlog."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient

from essaygrader.domain.exports import result_columns
from essaygrader.web.app import create_app
from essaygrader.web.dashboard.charts import bar_chart, heat_map, shade
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples, sample_metrics, train_with_metrics


def browser(app):
    """A client that sends Origin with its posts, as every browser does."""
    return TestClient(app, headers={"Origin": "http://testserver"})


def signed_in(app, token):
    client = browser(app)
    response = client.post(
        "/dashboard/sign-in", data={"token": token, "next": "/dashboard/"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def staff_a(app, tokens):
    return signed_in(app, tokens["staff_a"])


def examples_csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "ideas", "conventions", "feedback"])
    for row in rows:
        selected = row["options_selected"]
        writer.writerow([row["text"], selected.get("ideas", ""), selected["conventions"], ""])
    return buffer.getvalue().encode()


def test_signing_in_and_out(app, tokens):
    anonymous = browser(app)
    first = anonymous.get("/dashboard/courses/course-a", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Fcourses%2Fcourse-a"
    wrong = anonymous.post("/dashboard/sign-in", data={"token": "eg_wrong"})
    assert wrong.status_code == 401
    assert "invalid or was revoked" in wrong.text
    response = anonymous.post(
        "/dashboard/sign-in",
        data={"token": tokens["staff_a"], "next": "/dashboard/courses/course-a"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard/courses/course-a"
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Path=/dashboard"):
        assert flag.lower() in cookie.lower()
    page = anonymous.get("/dashboard/")
    assert page.status_code == 200
    assert "staff A · staff · course-a" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    out = anonymous.post("/dashboard/sign-out", follow_redirects=False)
    assert out.status_code == 303
    assert anonymous.get("/dashboard/", follow_redirects=False).status_code == 303


def test_sign_in_goes_only_to_dashboard_pages(app, tokens):
    client = browser(app)
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/items"):
        response = client.post(
            "/dashboard/sign-in",
            data={"token": tokens["admin"], "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/dashboard/"


@pytest.mark.parametrize("role", ["platform_a", "worker"])
def test_only_admin_and_staff_tokens_sign_in(app, tokens, role):
    response = browser(app).post("/dashboard/sign-in", data={"token": tokens[role]})
    assert response.status_code == 403
    assert "for admin and staff tokens" in response.text


def test_a_revoked_token_is_signed_out_at_once(app, runtime, tokens):
    created = runtime.tokens.create_token("short-lived", "admin")
    client = signed_in(app, created["token"])
    assert client.get("/dashboard/").status_code == 200
    runtime.tokens.revoke_token(created["uuid"])
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_staff_see_only_their_courses(staff_a, world):
    home = staff_a.get("/dashboard/")
    assert "course-a" in home.text
    assert "course-b" not in home.text
    for path in (
        "/dashboard/courses/course-b",
        "/dashboard/courses/course-b/items/item-1",
        "/dashboard/courses/course-b/items/item-1/quality",
        "/dashboard/courses/course-b/items/item-1/submissions",
        "/dashboard/courses/course-b/items/nothing-here",
        "/dashboard/open?course_id=course-b",
    ):
        response = staff_a.get(path)
        assert response.status_code == 403, path
        assert "does not reach course &#39;course-b&#39;" in response.text
    foreign = staff_a.get(
        f"/dashboard/courses/course-a/items/item-1/training/{world['b'].training_workflow_uuid}/status"
    )
    assert foreign.status_code == 404


def test_forms_cannot_reach_another_course(staff_a, runtime, world):
    before = row_counts(runtime)
    for path, data, files in (
        ("/dashboard/courses/course-b/items", {"item_id": "x", "rubric": json.dumps(RUBRIC)}, None),
        (
            "/dashboard/courses/course-b/items/item-2/train",
            None,
            {"examples": ("e.csv", examples_csv(examples(30)), "text/csv")},
        ),
        ("/dashboard/courses/course-b/items/item-1/reschedule", {"task_type": "all"}, None),
        ("/dashboard/courses/course-b/reschedule", {"task_type": "all"}, None),
    ):
        response = staff_a.post(path, data=data, files=files)
        assert response.status_code == 403, path
    assert row_counts(runtime) == before


def test_creating_an_item(staff_a, runtime, world):
    before = row_counts(runtime)
    bad = staff_a.post(
        "/dashboard/courses/course-a/items",
        data={"item_id": "essay-3", "rubric": '{"criteria": [', "prompt": "Write."},
    )
    assert bad.status_code == 422
    assert "rubric</strong>: is not valid JSON" in bad.text
    assert "rubric: rubric" not in bad.text
    assert "Write." in bad.text  # what was typed is kept
    taken = staff_a.post(
        "/dashboard/courses/course-a/items",
        data={"item_id": "item-1", "rubric": json.dumps(RUBRIC)},
    )
    assert taken.status_code == 409
    assert "already exists" in taken.text
    assert row_counts(runtime) == before
    made = staff_a.post(
        "/dashboard/courses/course-a/items",
        data={
            "item_id": "essay-3",
            "rubric": json.dumps(RUBRIC),
            "published": "on",
            "min_qwk": "0.4",
        },
        follow_redirects=False,
    )
    assert made.headers["location"] == "/dashboard/courses/course-a/items/essay-3"
    item = runtime.client.get_item("course-a", "essay-3")
    assert (item["published"], item["min_qwk"]) == (True, 0.4)
    page = staff_a.get(made.headers["location"])
    assert "Not trained yet." in page.text
    assert "few errors (3)" in page.text


def test_uploading_examples_shows_every_bad_row_then_trains(staff_a, runtime, task_queue, world):
    rows = examples(30)
    rows[1]["text"] = " "
    rows[4]["options_selected"]["ideas"] = "great"
    before = row_counts(runtime)
    refused = staff_a.post(
        "/dashboard/courses/course-a/items/item-2/train",
        files={"examples": ("graded.csv", examples_csv(rows), "text/csv")},
    )
    assert refused.status_code == 422
    problems = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', refused.text
    )
    # Lines of the file, the header being line 1.
    assert [(line, column) for line, column, _ in problems] == [("3", "text"), ("6", "ideas")]
    assert "unknown option &#39;great&#39;" in problems[1][2]
    assert "Nothing was trained: 2 problems" in refused.text
    wrong_type = staff_a.post(
        "/dashboard/courses/course-a/items/item-2/train",
        files={"examples": ("graded.xlsx", b"binary", "application/octet-stream")},
    )
    assert wrong_type.status_code == 422
    assert "unknown file type &#39;.xlsx&#39;" in wrong_type.text
    assert row_counts(runtime) == before

    started = staff_a.post(
        "/dashboard/courses/course-a/items/item-2/train",
        files={"examples": ("graded.csv", examples_csv(examples(30)), "text/csv")},
        follow_redirects=False,
    )
    assert started.status_code == 303
    page = staff_a.get(started.headers["location"])
    assert "Training started on 30 examples." in page.text
    poll = re.search(r'data-poll="([^"]+)"', page.text).group(1)
    assert staff_a.get(poll).json()["status"] == "scheduled"
    task_queue.join()
    assert staff_a.get(poll).json() == {
        "status": "complete",
        "criteria_done": 2,
        "criteria_total": 2,
        "attempts": 1,
        "last_error": None,
    }
    done = staff_a.get("/dashboard/courses/course-a/items/item-2")
    assert "data-poll" not in done.text
    assert 'data-field="status">complete' in done.text
    # Training recorded its cross-validated quality, which the item page summarises.
    assert "no quality metrics recorded" not in done.text
    assert "mean QWK" in done.text


def test_quality_charts(staff_a, world):
    page = staff_a.get("/dashboard/courses/course-a/items/item-1/quality")
    assert page.status_code == 200
    metrics = sample_metrics()
    assert f">{metrics['mean_qwk']:.3f}<" in page.text
    lowest = min(c["qwk"] for c in metrics["criteria"].values())
    assert f'id="lowest-qwk">{lowest:.3f}<' in page.text
    # One heat-map cell per matrix entry and one bar per point value, per criterion.
    assert page.text.count('<g class="cell">') == 3 * 3 + 2 * 2
    assert page.text.count('<g class="bar">') == 3 + 2
    row = metrics["criteria"]["ideas"]["confusion"]["matrix"][0]
    assert f"human 0, predicted 0: {row[0]} of {sum(row)}" in page.text
    # The bars are the people's scores of the training examples, and say so.
    assert "Human scores of the training examples" in page.text
    assert "scored 0 by people" in page.text
    # Item 1 has no min_qwk: no gate was applied, so none is said to be passed.
    assert 'id="quality-gate">no quality gate' in page.text
    assert "passed" not in page.text
    item = staff_a.get("/dashboard/courses/course-a/items/item-1")
    assert "no quality gate." in item.text
    assert "passed its quality gate" not in item.text


def test_quality_gate_shown_where_the_item_has_one(staff_a, runtime, world):
    runtime.client.create_item("course-a", "gated", RUBRIC, min_qwk=0.1)
    train_with_metrics(runtime, "course-a", "gated", sample_metrics())
    page = staff_a.get("/dashboard/courses/course-a/items/gated/quality")
    assert 'id="quality-gate" class="good">passed' in page.text
    item = staff_a.get("/dashboard/courses/course-a/items/gated")
    assert "passed its quality gate (minimum QWK 0.100)" in item.text


def test_test_algorithms_are_offered_only_when_asked(runtime, tokens, world):
    page = signed_in(create_app(runtime), tokens["staff_a"]).get("/dashboard/courses/course-a")
    offered = re.findall(r'<option value="([^"]+)"', page.text)
    assert "default" in offered
    assert "fake" not in offered
    runtime.settings = runtime.settings.with_overrides(dashboard_test_algorithms=True)
    page = signed_in(create_app(runtime), tokens["staff_a"]).get("/dashboard/courses/course-a")
    assert "fake" in re.findall(r'<option value="([^"]+)"', page.text)


def test_item_backlog_says_which_figures_are_the_items(staff_a, world):
    page = staff_a.get("/dashboard/courses/course-a/items/item-1")
    assert "Backlog <small>this item</small>" in page.text
    assert 'Workflows <small class="muted">(this item)</small>' in page.text
    assert 'Queue lengths <small class="muted">(whole service)</small>' in page.text
    assert 'Workers alive <small class="muted">(whole service)</small>' in page.text


def test_an_unknown_page_keeps_the_navigation(staff_a):
    page = staff_a.get("/dashboard/no-such-page")
    assert page.status_code == 404
    assert "Sign out" in page.text
    assert '<nav class="crumbs"><a href="/dashboard/">courses</a></nav>' in page.text


def test_quality_without_metrics(app, tokens, world):
    staff_b = signed_in(app, tokens["staff_b"])
    page = staff_b.get("/dashboard/courses/course-b/items/item-1/quality")
    assert "No quality metrics recorded for this classifier set." in page.text
    assert "<svg" not in page.text
    untrained = staff_b.get("/dashboard/courses/course-b/items/item-2/quality")
    assert "No classifier set yet" in untrained.text


def test_submissions_with_filters(staff_a, api, world):
    page = staff_a.get("/dashboard/courses/course-a/items/item-1/submissions")
    assert page.text.count('<tr data-status="complete">') == 1
    assessment = api.get_latest_assessment(world["a"].submission_uuid)
    for part in assessment["parts"]:
        assert f"{part['option']} ({part['points']})" in page.text
    waiting = staff_a.get("/dashboard/courses/course-a/items/item-2/submissions?status=waiting")
    assert waiting.text.count('<tr data-status="waiting">') == 1
    complete = staff_a.get("/dashboard/courses/course-a/items/item-2/submissions?status=complete")
    assert "No submissions match." in complete.text
    low = staff_a.get("/dashboard/courses/course-a/items/item-1/submissions?low_confidence=1")
    lowest = min(p["confidence"] for p in assessment["parts"])
    assert ('<tr data-status="complete">' in low.text) == (lowest < 0.5)


def test_backlog_alert_and_rescheduling(runtime, tokens, world):
    runtime.settings = runtime.settings.with_overrides(backlog_alert_threshold=1)
    runtime.client.submit("course-a", "item-1", "late", "A short essay.")  # queued, not run
    app = create_app(runtime)
    staff = signed_in(app, tokens["staff_a"])
    page = staff.get("/dashboard/courses/course-a/items/item-1")
    assert 'role="alert"' in page.text
    assert "Grading backlog: 1 essay is waiting for a worker" in page.text
    rescheduled = staff.post(
        "/dashboard/courses/course-a/items/item-1/reschedule",
        data={"task_type": "grade"},
        follow_redirects=False,
    )
    assert rescheduled.status_code == 303
    notice = staff.get(rescheduled.headers["location"])
    assert "Rescheduled 0 training and 1 grading task;" in notice.text
    course = staff.post(
        "/dashboard/courses/course-a/reschedule", data={"task_type": "all"}, follow_redirects=True
    )
    assert "1 essay waits for classifiers" in course.text
    runtime.settings = runtime.settings.with_overrides(backlog_alert_threshold=500)
    calm = signed_in(create_app(runtime), tokens["staff_a"]).get("/dashboard/")
    assert "Grading backlog" not in calm.text


def test_form_posts_from_other_sites_are_refused(staff_a, runtime, world):
    del staff_a.headers["origin"]
    before = row_counts(runtime)
    for header in ("origin", "referer"):
        response = staff_a.post(
            "/dashboard/courses/course-a/items",
            data={"item_id": "x", "rubric": json.dumps(RUBRIC)},
            headers={header: "https://evil.example/page"},
        )
        assert response.status_code == 403
        assert "form posts from other sites are refused" in response.text
    assert row_counts(runtime) == before


def test_form_posts_naming_no_origin_are_refused(app, runtime, tokens, world):
    # A post with neither Origin nor Referer did not come from a dashboard page.
    client = signed_in(app, tokens["staff_a"])
    del client.headers["origin"]
    before = row_counts(runtime)
    for path, data in (
        ("/dashboard/courses/course-a/items", {"item_id": "x", "rubric": json.dumps(RUBRIC)}),
        ("/dashboard/courses/course-a/reschedule", {"task_type": "all"}),
        ("/dashboard/sign-out", {}),
        ("/dashboard/sign-in", {"token": tokens["staff_a"]}),
    ):
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path
        assert "Origin or Referer" in response.text
    assert row_counts(runtime) == before
    same_site = client.post(
        "/dashboard/courses/course-a/reschedule",
        data={"task_type": "all"},
        headers={"Referer": "http://testserver/dashboard/courses/course-a"},
        follow_redirects=False,
    )
    assert same_site.status_code == 303


def test_staff_cannot_reach_what_their_role_forbids(app, runtime, tokens, world):
    admin = signed_in(app, tokens["admin"])
    assert admin.get("/dashboard/courses/course-b").status_code == 200
    assert (
        admin.get("/dashboard/open?course_id=course-new", follow_redirects=False).headers[
            "location"
        ]
        == "/dashboard/courses/course-new"
    )


def test_heat_map_shades_by_share_of_the_row_and_escapes_labels():
    svg = heat_map({"labels": [0, "<b>"], "matrix": [[3, 1], [0, 4]]}, caption="x & y")
    assert "&lt;b&gt;" in svg
    assert "<b>" not in svg
    assert "x &amp; y" in svg
    assert f'fill="{shade(0.75)}"' in svg
    assert f'fill="{shade(1.0)}"' in svg
    assert shade(0) == "#f4f6fb"
    assert shade(1) == "#1f4e9c"
    for broken in ({}, {"labels": [0, 1], "matrix": [[1]]}, {"labels": [0], "matrix": [["x"]]}):
        assert "not recorded" in heat_map(broken, caption="c")


def test_bar_chart_orders_bars_by_points():
    svg = bar_chart({"10": 1, "2": 5, "0": 3}, caption="d")
    assert re.findall(r"scored (\d+) by people", svg) == ["0", "2", "10"]
    assert "<title>1 example scored 10 by people</title>" in svg
    assert "not recorded" in bar_chart({}, caption="d")
    assert "not recorded" in bar_chart({"a": "b"}, caption="d")


def test_results_download_is_safe_to_open_in_a_spreadsheet(app, api, tokens, world, task_queue):
    api.submit(
        "course-a", "item-1", '=HYPERLINK("http://evil.example")', essay(40), external_id="@x"
    )
    task_queue.join()
    staff = signed_in(app, tokens["staff_a"])
    page = staff.get("/dashboard/courses/course-a/items/item-1/submissions")
    assert 'href="/dashboard/courses/course-a/items/item-1/results.csv"' in page.text
    response = staff.get("/dashboard/courses/course-a/items/item-1/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    # The rows of `essaygrader results`: one function builds both.
    criteria = api.get_item("course-a", "item-1")["rubric"]["criteria"]
    assert list(rows[0]) == result_columns(
        [c["name"] for c in criteria if c["options"]], [c["name"] for c in criteria]
    )
    hostile = rows[-1]
    assert hostile["student_id"] == '\'=HYPERLINK("http://evil.example")'
    assert hostile["external_id"] == "'@x"
    assert hostile["ideas.option"]
    other = signed_in(app, tokens["staff_b"])
    assert other.get("/dashboard/courses/course-a/items/item-1/results.csv").status_code == 403


def test_what_platforms_send_is_shown_as_text_never_run(app, api, tokens, world, task_queue):
    hostile = '<script>alert("x")</script>'
    api.submit("course-a", "item-1", hostile, essay(40), external_id='"><img src=x onerror=y>')
    task_queue.join()
    page = signed_in(app, tokens["staff_a"]).get(
        "/dashboard/courses/course-a/items/item-1/submissions"
    )
    assert hostile not in page.text
    assert "&lt;script&gt;" in page.text
    assert "<img src=x" not in page.text
    # And were anything to slip through, the page runs only its own scripts.
    assert "script-src 'self'" in page.headers["content-security-policy"]
