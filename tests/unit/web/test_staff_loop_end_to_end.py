"""Staff in the loop, end to end over HTTP with an in-process queue.

120 essays are submitted before any training; staff grade 60 of them through the API;
training uses those graded submissions; the other 60 are AI graded; a staff override
becomes current; and, under review_policy "flagged", a near copy of another essay and a
keyboard-mash essay are held for review by the advisory flags grading computes
(duplicate, naming the original, and not_text), invisible to the platform, until staff
confirm one and override the other.
"""

from __future__ import annotations

from typing import Any

from tests.factories import RUBRIC, essay
from tests.unit.web.conftest import auth

ITEM = "/api/v1/courses/course-a/items/item-1"
LEVELS = (
    {"ideas": "poor", "conventions": "many errors"},
    {"ideas": "fair", "conventions": "few errors"},
    {"ideas": "good", "conventions": "few errors"},
)
MASH = "asdf jkl; qwer asdf zxcv jkl; asdf qwerty uiop hjkl asdf ;lkj fdsa"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_staff_grade_train_ai_grade_override_and_review(http, tokens, task_queue):
    staff, platform = auth(tokens["staff_a"]), auth(tokens["platform_a"])
    item = _ok(
        http.post(
            "/api/v1/courses/course-a/items",
            json={
                "item_id": "item-1",
                "rubric": RUBRIC,
                "prompt": "Write about the town garden.",
                "review_policy": "flagged",
                "review_confidence_below": 0.0,
            },
            headers=staff,
        ),
        201,
    )
    assert (item["review_policy"], item["staff_graded"]) == ("flagged", 0)

    # 120 essays before any classifier: every one waits.
    levels = [n % 3 for n in range(120)]
    essays = [essay(20 + 40 * level + n % 7, seed=n) for n, level in enumerate(levels)]
    submitted = _ok(
        http.post(
            f"{ITEM}/submissions/batch",
            json={
                "submissions": [
                    {"student_id": f"student-{n}", "answer": text} for n, text in enumerate(essays)
                ]
            },
            headers=platform,
        ),
        201,
    )
    assert {s["status"] for s in submitted} == {"waiting"}
    uuids = [s["submission_uuid"] for s in submitted]

    # Staff grade the first 60 through the API; each becomes the current assessment.
    for n in range(60):
        graded = _ok(
            http.post(
                f"/api/v1/submissions/{uuids[n]}/staff-assessment",
                json={
                    "options_selected": LEVELS[levels[n]],
                    "feedback": {"feedback": f"Comment {n}."},
                    "overall_feedback": "",
                },
                headers=staff,
            ),
            201,
        )
        assert graded["type"] == "staff"
        assert graded["scorer_id"] == "staff A"
    shown = _ok(http.get(f"/api/v1/submissions/{uuids[0]}/assessment", headers=platform))
    assert shown["type"] == "staff"
    assert shown["feedback"] == {"feedback": "Comment 0."}
    item = _ok(http.get(ITEM, headers=staff))
    assert (item["staff_graded"], item["corrections_since_training"]) == (60, 60)

    # A platform token may neither grade, nor read the history, nor train.
    refused = http.post(
        f"/api/v1/submissions/{uuids[60]}/staff-assessment",
        json={"options_selected": LEVELS[0]},
        headers=platform,
    )
    assert refused.status_code == 403
    assert (
        http.get(f"/api/v1/submissions/{uuids[0]}/assessments", headers=platform).status_code == 403
    )

    # Train from the graded submissions; training schedules the waiting essays.
    started = _ok(
        http.post(f"{ITEM}/training", json={"from_graded_submissions": True}, headers=staff), 202
    )
    assert (started["examples_uploaded"], started["examples_from_graded"]) == (0, 60)
    task_queue.join()
    workflow = _ok(
        http.get(f"/api/v1/workflows/training/{started['training_workflow_uuid']}", headers=staff)
    )
    assert workflow["status"] == "complete"
    assert workflow["examples_from_graded"] == 60
    assert _ok(http.get(ITEM, headers=staff))["corrections_since_training"] == 0

    # The other 60 are AI graded and released; the staff-graded keep their staff grade.
    page = _ok(http.get(f"{ITEM}/submissions", params={"limit": 1000}, headers=staff))
    by_uuid = {s["submission_uuid"]: s for s in page["submissions"]}
    assert {by_uuid[u]["status"] for u in uuids} == {"complete"}
    assert [by_uuid[u]["current_assessment_type"] for u in uuids] == ["staff"] * 60 + ["ai"] * 60
    assert {by_uuid[u]["review_status"] for u in uuids} == {"released"}
    ai_levels = [
        _ok(http.get(f"/api/v1/submissions/{u}/scores", headers=platform))["ideas"]
        for u in uuids[60:]
    ]
    agreement = sum(a == lvl for a, lvl in zip(ai_levels, levels[60:], strict=True)) / 60
    assert agreement >= 0.8

    # A staff override of an AI grade becomes current, for the platform too.
    target = uuids[61]
    ai_grade = _ok(http.get(f"/api/v1/submissions/{target}/assessment", headers=platform))
    assert ai_grade["type"] == "ai"
    override = {"ideas": "good", "conventions": "many errors"}
    _ok(
        http.post(
            f"/api/v1/submissions/{target}/staff-assessment",
            json={"options_selected": override, "overall_feedback": "Regraded by hand."},
            headers=staff,
        ),
        201,
    )
    current = _ok(http.get(f"/api/v1/submissions/{target}/assessment", headers=platform))
    assert current["type"] == "staff"
    assert current["overall_feedback"] == "Regraded by hand."
    assert _ok(http.get(f"/api/v1/submissions/{target}/scores", headers=platform)) == {
        "ideas": 2,
        "conventions": 0,
    }
    history = _ok(http.get(f"/api/v1/submissions/{target}/assessments", headers=staff))
    assert [a["type"] for a in history["assessments"]] == ["staff", "ai"]
    assert _ok(http.get(ITEM, headers=staff))["corrections_since_training"] == 1

    # A near copy and a keyboard mash arrive; their flags hold both for review.
    near_copy = essays[5].replace("garden", "gardens", 1) + " Thanks."
    doubtful = _ok(
        http.post(
            f"{ITEM}/submissions/batch",
            json={
                "submissions": [
                    {"student_id": "copier", "answer": near_copy},
                    {"student_id": "masher", "answer": MASH},
                ]
            },
            headers=platform,
        ),
        201,
    )
    task_queue.join()
    held = [s["submission_uuid"] for s in doubtful]
    for uuid in held:
        assert _ok(http.get(f"/api/v1/submissions/{uuid}/assessment", headers=platform)) is None
        assert _ok(http.get(f"/api/v1/submissions/{uuid}/scores", headers=platform)) == {}
        seen = _ok(http.get(f"/api/v1/submissions/{uuid}", headers=platform))
        assert seen["review_status"] == "pending"
        assert seen["assessment"] is None
        assert seen["grading_workflow"]["status"] == "complete"
    queue = _ok(http.get(f"{ITEM}/review", params={"limit": 10}, headers=staff))
    assert queue["total"] == 2
    assert [r["submission_uuid"] for r in queue["reviews"]] == held
    assert [[f["code"] for f in r["flags"]] for r in queue["reviews"]] == [
        ["duplicate"],
        ["not_text"],
    ]
    assert queue["reviews"][0]["flags"][0]["submission_uuid"] == uuids[5]
    assert uuids[5] in queue["reviews"][0]["flags"][0]["message"]
    assert http.get(f"{ITEM}/review", headers=platform).status_code == 403
    assert (
        http.post(
            f"/api/v1/submissions/{held[0]}/review", json={"action": "confirm"}, headers=platform
        ).status_code
        == 403
    )

    # Staff confirm the near copy's grade and override the keyboard mash's.
    confirmed = _ok(
        http.post(
            f"/api/v1/submissions/{held[0]}/review", json={"action": "confirm"}, headers=staff
        )
    )
    assert confirmed["review_status"] == "confirmed"
    _ok(
        http.post(
            f"/api/v1/submissions/{held[1]}/staff-assessment",
            json={
                "options_selected": LEVELS[0],
                "overall_feedback": "This is not an essay; please submit your own writing.",
            },
            headers=staff,
        ),
        201,
    )
    assert _ok(http.get(f"{ITEM}/review", headers=staff))["total"] == 0
    visible = _ok(http.get(f"/api/v1/submissions/{held[0]}/assessment", headers=platform))
    assert (visible["uuid"], visible["type"]) == (confirmed["uuid"], "ai")
    mash = _ok(http.get(f"/api/v1/submissions/{held[1]}", headers=platform))
    assert (mash["review_status"], mash["current_assessment_type"]) == ("released", "staff")
    assert mash["assessment"]["points_earned"] == 0
    again = http.post(
        f"/api/v1/submissions/{held[0]}/review", json={"action": "confirm"}, headers=staff
    )
    assert again.status_code == 409
    assert again.json()["code"] == "nothing_to_review"
