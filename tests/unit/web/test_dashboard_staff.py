"""Staff in the loop, through the dashboard's HTML: the essay page and its grading form,
the grade-next and review queues, training from graded submissions, the review settings
and the results CSV; each refused to platforms and to other courses' staff."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import row_counts
from tests.factories import essay

ITEM_A = "/dashboard/courses/course-a/items/item-1"
SAME_SITE = {"origin": "http://testserver"}
GRADE = {"option:ideas": "good", "option:conventions": "few errors"}


def signed_in(app, token):
    client = TestClient(app, headers=SAME_SITE)
    response = client.post(
        "/dashboard/sign-in", data={"token": token, "next": "/dashboard/"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def staff_a(app, tokens):
    return signed_in(app, tokens["staff_a"])


def essay_url(uuid, queue=""):
    return f"/dashboard/submissions/{uuid}" + (f"?queue={queue}" if queue else "")


def submit(api, task_queue, count, item_id="item-1", *, seed=0):
    uuids = [
        api.submit("course-a", item_id, f"student-{seed + i}", essay(30 + 20 * i, seed=seed + i))[
            "submission_uuid"
        ]
        for i in range(count)
    ]
    task_queue.join()
    return uuids


def test_the_essay_page_shows_the_text_and_every_assessment(staff_a, api, task_queue, world):
    text = "First paragraph, about gardens.\n\nSecond paragraph.\nThird line on its own."
    uuid = api.submit("course-a", "item-1", "student-p", text)["submission_uuid"]
    task_queue.join()
    page = staff_a.get(essay_url(uuid))
    assert page.status_code == 200
    essay_html = page.text.split('<div class="essay">')[1].split("</div>")[0]
    assert re.findall(r"<p>([^<]*)</p>", essay_html) == [
        "First paragraph, about gardens.",
        "Second paragraph.",
        "Third line on its own.",
    ]
    ai = api.get_submission(uuid)["assessment"]
    current = page.text.split('id="current"')[1].split('id="history"')[0]
    assert 'data-type="ai"' in current
    for part in ai["parts"]:
        assert f"<td>{part['option']}</td>" in current
    # Nothing is filled in from the AI grade: a training example is a person's judgement.
    assert "checked" not in page.text.split('id="grade-form"')[1]
    assert page.text.count('type="radio" name="option:ideas"') == 3
    assert 'name="feedback:feedback"' in page.text  # feedback-only criteria take text too

    staff_a.post(
        f"{essay_url(uuid)}/staff-assessment",
        data={**GRADE, "feedback:ideas": "Develop the second point.", "overall_feedback": "Good."},
    )
    again = staff_a.get(essay_url(uuid))
    history = again.text.split('id="history"')[1]
    assert "2 assessments, newest first" in history
    assert history.index("staff by staff A") < history.index("ai by ")
    assert "Develop the second point." in again.text
    # The form now holds the staff member's own grade, to correct it.
    form = again.text.split('id="grade-form"')[1]
    assert re.search(r'value="good" required checked', form)


def test_grading_saves_a_staff_assessment_that_becomes_current(staff_a, api, world):
    uuid = world["a"].submission_uuid
    saved = staff_a.post(
        f"{essay_url(uuid)}/staff-assessment",
        data={
            **GRADE,
            "feedback:conventions": "",
            "feedback:feedback": "Thanks for the letter.",
            "overall_feedback": "A clear case.",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{essay_url(uuid)}?notice=graded"
    current = api.get_submission(uuid)["assessment"]
    assert current["type"] == "staff"
    assert current["scorer_id"] == "staff A"
    assert {p["criterion"]: p["option"] for p in current["parts"]} == {
        "ideas": "good",
        "conventions": "few errors",
    }
    assert current["feedback"] == {"feedback": "Thanks for the letter."}
    assert current["overall_feedback"] == "A clear case."
    assert "Grade saved." in staff_a.get(saved.headers["location"]).text


def test_a_refused_grade_names_the_field_keeps_the_form_and_stores_nothing(staff_a, runtime, world):
    uuid = world["a"].submission_uuid
    before = row_counts(runtime)
    for data, field, kept in (
        ({"option:ideas": "good", "overall_feedback": "kept"}, "conventions", "good"),
        ({**GRADE, "option:ideas": "brilliant"}, "ideas", "few errors"),
    ):
        refused = staff_a.post(f"{essay_url(uuid)}/staff-assessment", data=data)
        assert refused.status_code == 422, refused.text
        alert = re.search(r'<p class="error" role="alert">(.*?)</p>', refused.text).group(1)
        assert field in alert
        assert f'value="{kept}" required checked' in refused.text
        assert ">kept</textarea>" in refused.text or "kept" not in str(data)
    assert row_counts(runtime) == before


def test_saving_from_the_grade_next_queue_opens_its_next_essay(staff_a, api, task_queue, world):
    # item-2 has no classifiers: its essays wait, and staff grade them into examples.
    waiting = [world["a"].waiting_submission_uuid, *submit(api, task_queue, 2, "item-2")]
    queue_page = staff_a.get("/dashboard/courses/course-a/items/item-2/grade-next")
    assert queue_page.status_code == 200
    suggested = re.findall(r'/dashboard/submissions/([^"?]+)\?queue=grade-next">', queue_page.text)
    assert set(suggested) == set(waiting)
    assert "Train from 0 graded submissions" in queue_page.text
    assert re.search(r"<button[^>]*disabled[^>]*>Train from 0", queue_page.text)

    graded = []
    location = essay_url(suggested[0], "grade-next")
    for _ in waiting:
        uuid = re.search(r"/submissions/([^?]+)", location).group(1)
        page = staff_a.get(location)
        assert 'name="queue" value="grade-next"' in page.text
        saved = staff_a.post(
            f"{essay_url(uuid)}/staff-assessment",
            data={**GRADE, "queue": "grade-next"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        graded.append(uuid)
        location = saved.headers["location"]
    assert sorted(graded) == sorted(waiting)
    assert location == "/dashboard/courses/course-a/items/item-2/grade-next?notice=graded-last"
    done = staff_a.get(location)
    assert "No essay is left to suggest" in done.text
    assert "Train from 3 graded submissions" in done.text
    assert "3 corrections since the last training" in done.text


def test_the_grade_next_page_shows_what_the_training_set_lacks(staff_a, api, world):
    page = staff_a.get("/dashboard/courses/course-a/items/item-2/grade-next")
    coverage = api.grade_next("course-a", "item-2", limit=20)["coverage"]
    assert coverage
    for criterion in coverage:
        assert f'data-criterion="{criterion["criterion"]}"' in page.text
        if criterion["advice"]:
            assert criterion["advice"].replace("'", "&#39;") in page.text


def test_training_from_graded_submissions(staff_a, api, runtime, task_queue, world):
    uuids = submit(api, task_queue, 20, "item-2")
    before = row_counts(runtime)
    refused = staff_a.post("/dashboard/courses/course-a/items/item-2/train-from-graded")
    assert refused.status_code == 422
    assert "has a staff assessment for its current rubric yet" in refused.text
    assert row_counts(runtime) == before
    for i, uuid in enumerate(uuids):
        api.create_staff_assessment(
            uuid,
            {
                "ideas": ("poor", "fair", "good")[i % 3],
                "conventions": ("many errors", "few errors")[i % 2],
            },
        )
    item_page = staff_a.get("/dashboard/courses/course-a/items/item-2")
    assert "Train from 20 graded submissions" in item_page.text
    started = staff_a.post(
        "/dashboard/courses/course-a/items/item-2/train-from-graded", follow_redirects=False
    )
    assert started.status_code == 303
    assert started.headers["location"] == (
        "/dashboard/courses/course-a/items/item-2?notice=training&examples=20"
    )
    workflow = api.list_training_workflows("course-a", "item-2")["training_workflows"][0]
    assert workflow["examples_from_graded"] == 20
    assert "Training started on 20 examples." in staff_a.get(started.headers["location"]).text


def test_the_review_queue_confirms_and_overrides(staff_a, api, task_queue, world):
    api.update_item("course-a", "item-1", review_policy="all")
    held = submit(api, task_queue, 3, seed=50)
    page = staff_a.get(f"{ITEM_A}/review")
    assert page.status_code == 200
    assert "3 grades wait for review." in page.text
    assert re.findall(r'<tr data-submission="([^"]+)">', page.text) == [
        r["submission_uuid"] for r in api.list_reviews("course-a", "item-1")["reviews"]
    ]
    assert f'{essay_url(held[0])}?queue=review#grade">Override' in page.text

    confirmed = staff_a.post(
        f"{essay_url(held[0])}/review", data={"back": "list"}, follow_redirects=False
    )
    assert confirmed.headers["location"] == f"{ITEM_A}/review?notice=confirmed"
    assert api.get_submission(held[0])["review_status"] == "released"
    assert "2 grades wait for review." in staff_a.get(confirmed.headers["location"]).text

    # From the essay page: the held grade is shown with its confirm button; overriding
    # it opens the next held essay, and the last one leads back to the emptied list.
    essay_page = staff_a.get(essay_url(held[1], "review"))
    assert "held for review" in essay_page.text
    assert 'id="pending-review"' in essay_page.text
    overridden = staff_a.post(
        f"{essay_url(held[1])}/staff-assessment",
        data={**GRADE, "queue": "review"},
        follow_redirects=False,
    )
    assert overridden.headers["location"] == (f"{essay_url(held[2], 'review')}&notice=graded")
    assert api.get_submission(held[1])["assessment"]["type"] == "staff"
    last = staff_a.post(
        f"{essay_url(held[2])}/review", data={"queue": "review"}, follow_redirects=False
    )
    assert last.headers["location"] == f"{ITEM_A}/review?notice=confirmed-last"
    empty = staff_a.get(last.headers["location"])
    assert "No more grades wait for review." in empty.text
    assert "Nothing waits for review." in empty.text


def test_review_settings_on_the_item_and_course_pages(staff_a, api, runtime, world):
    before = row_counts(runtime)
    refused = staff_a.post(
        f"{ITEM_A}/settings",
        data={"review_policy": "flagged", "review_confidence_below": "lots"},
    )
    assert refused.status_code == 422
    assert "review_confidence_below</strong>" in refused.text
    wrong = staff_a.post(f"{ITEM_A}/settings", data={"review_policy": "some"})
    assert wrong.status_code == 422
    assert "review_policy" in wrong.text
    assert row_counts(runtime) == before
    saved = staff_a.post(
        f"{ITEM_A}/settings",
        data={"review_policy": "flagged", "review_confidence_below": "0.4"},
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"{ITEM_A}?notice=settings"
    item = api.get_item("course-a", "item-1")
    assert (item["review_policy"], item["review_confidence_below"]) == ("flagged", 0.4)
    page = staff_a.get(saved.headers["location"])
    assert "Review settings saved." in page.text
    assert re.search(r'<option value="flagged" selected>', page.text)

    made = staff_a.post(
        "/dashboard/courses/course-a/items",
        data={
            "item_id": "held-1",
            "rubric": '{"criteria": [{"name": "c", "prompt": "", "options": '
            '[{"name": "a", "points": 0, "explanation": ""}, '
            '{"name": "b", "points": 1, "explanation": ""}]}]}',
            "review_policy": "all",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert api.get_item("course-a", "held-1")["review_policy"] == "all"


def test_results_csv_has_the_current_grade_its_source_and_safe_cells(
    staff_a, api, task_queue, world
):
    ai_uuid = world["a"].submission_uuid
    staff_uuid = api.submit("course-a", "item-1", '=HYPERLINK("x")', essay(40, seed=3))[
        "submission_uuid"
    ]
    task_queue.join()
    api.create_staff_assessment(
        staff_uuid,
        {"ideas": "fair", "conventions": "few errors"},
        feedback={"ideas": "-see me"},
        overall_feedback="@once more",
        scorer_id="Ms Lee",
    )
    response = staff_a.get(f"{ITEM_A}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="results-item-1.csv"' in response.headers["content-disposition"]
    rows = {r["submission_uuid"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert set(rows) == {ai_uuid, staff_uuid}
    assert rows[ai_uuid]["source"] == "ai"
    ai = api.get_submission(ai_uuid)["assessment"]
    assert (
        rows[ai_uuid]["ideas.option"] == {p["criterion"]: p["option"] for p in ai["parts"]}["ideas"]
    )
    staff = rows[staff_uuid]
    assert (staff["source"], staff["scorer_id"], staff["ideas.option"]) == (
        "staff",
        "Ms Lee",
        "fair",
    )
    assert staff["student_id"] == '\'=HYPERLINK("x")'
    assert staff["ideas.feedback"] == "'-see me"
    assert staff["overall_feedback"] == "'@once more"
    assert staff["conventions.points"] == "3"


def test_the_item_page_links_the_queues_and_the_download(staff_a, world):
    page = staff_a.get(ITEM_A)
    for link in ("/grade-next", "/review", "/results.csv"):
        assert f'href="{ITEM_A}{link}"' in page.text
    listing = staff_a.get(f"{ITEM_A}/submissions")
    assert f'href="{essay_url(world["a"].submission_uuid)}"' in listing.text


def test_other_courses_staff_reach_none_of_it(app, runtime, tokens, world):
    staff_b = signed_in(app, tokens["staff_b"])
    foreign = world["a"].submission_uuid
    assert staff_b.get(essay_url(foreign)).status_code == 404
    assert staff_b.get(essay_url("no-such-essay")).status_code == 404
    for path in ("/grade-next", "/review", "/results.csv"):
        assert staff_b.get(f"{ITEM_A}{path}").status_code == 403, path
    before = row_counts(runtime)
    for path, data in (
        (f"{essay_url(foreign)}/staff-assessment", GRADE),
        (f"{essay_url(foreign)}/review", {"back": "list"}),
        (f"{ITEM_A}/train-from-graded", None),
        (f"{ITEM_A}/settings", {"review_policy": "all"}),
    ):
        refused = staff_b.post(path, data=data)
        assert refused.status_code in (403, 404), path
    assert row_counts(runtime) == before
    admin = signed_in(app, tokens["admin"])
    assert admin.get(essay_url(foreign)).status_code == 200
    both = signed_in(app, tokens["staff_ab"])
    assert both.get(essay_url(foreign)).status_code == 200


def test_grading_posts_from_other_sites_are_refused(staff_a, runtime, world):
    before = row_counts(runtime)
    response = staff_a.post(
        f"{essay_url(world['a'].submission_uuid)}/staff-assessment",
        data=GRADE,
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert row_counts(runtime) == before


def test_confirming_a_grade_already_decided_says_so(staff_a, api, task_queue, world):
    api.update_item("course-a", "item-1", review_policy="all")
    (held,) = submit(api, task_queue, 1, seed=70)
    api.review_assessment(held, "confirm")  # a colleague was quicker
    again = staff_a.post(f"{essay_url(held)}/review", data={"back": "list"})
    assert again.status_code == 200
    assert "That grade was already decided" in again.text
    never = staff_a.post(f"{essay_url(world['a'].submission_uuid)}/review")
    assert "That grade was already decided" in never.text


def test_a_0_to_60_scale_is_graded_from_one_list(staff_a, api, task_queue):
    options = [{"name": str(p), "points": p} for p in range(61)]
    api.create_item("course-a", "wide", {"criteria": [{"name": "score", "options": options}]})
    uuid = api.submit("course-a", "wide", "student-w", essay(40, seed=3))["submission_uuid"]
    task_queue.join()
    page = staff_a.get(essay_url(uuid))
    assert page.status_code == 200
    assert '<select name="option:score" required>' in page.text
    assert 'type="radio" name="option:score"' not in page.text
    saved = staff_a.post(
        f"{essay_url(uuid)}/staff-assessment", data={"option:score": "37"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    parts = api.get_submission(uuid)["assessment"]["parts"]
    assert [(p["option"], p["points"]) for p in parts] == [("37", 37)]
