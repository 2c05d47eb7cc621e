"""Review policies: AI grades held for review are invisible until staff confirm or
override them."""

from __future__ import annotations

import pytest

from essaygrader.errors import ConflictError, RequestError
from essaygrader.worker.params import CriterionScore, GradingResult
from tests.conftest import row_counts
from tests.factories import essay, examples


def _trained(api, task_queue, **settings):
    api.update_item("course-a", "item-1", **settings)
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()


def _graded(api, task_queue, student="s1", words=60):
    # A seed of its own: essays of one seed are near copies, which grading flags.
    text = essay(words, seed=words)
    uuid = api.submit("course-a", "item-1", student, text)["submission_uuid"]
    task_queue.join()
    return uuid


def test_items_keep_their_review_policy(api, item):
    assert (item["review_policy"], item["review_confidence_below"]) == ("none", 0.5)
    changed = api.update_item("course-a", "item-1", review_policy="flagged")
    assert (changed["review_policy"], changed["review_confidence_below"]) == ("flagged", 0.5)
    changed = api.update_item("course-a", "item-1", review_confidence_below=0.8)
    assert (changed["review_policy"], changed["review_confidence_below"]) == ("flagged", 0.8)
    created = api.create_item("course-a", "item-2", item["rubric"], review_policy="all")
    assert created["review_policy"] == "all"
    assert api.get_item("course-a", "item-2")["review_policy"] == "all"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"review_policy": "some"}, "review_policy"),
        ({"review_confidence_below": 1.5}, "review_confidence_below"),
        ({"review_confidence_below": True}, "review_confidence_below"),
        ({"review_confidence_below": "0.5"}, "review_confidence_below"),
    ],
)
def test_a_bad_review_setting_names_its_field(api, runtime, item, change, field):
    before = row_counts(runtime)
    with pytest.raises(RequestError) as caught:
        api.update_item("course-a", "item-1", **change)
    assert caught.value.field == field
    assert api.get_item("course-a", "item-1")["review_policy"] == "none"
    assert row_counts(runtime) == before


def test_under_policy_all_a_grade_is_held_until_confirmed(api, task_queue, item):
    _trained(api, task_queue, review_policy="all")
    uuid = _graded(api, task_queue)

    assert api.get_latest_assessment(uuid) is None
    assert api.get_assessment_scores_by_criteria(uuid) == {}
    submission = api.get_submission(uuid)
    assert submission["review_status"] == "pending"
    assert submission["assessment"] is None
    assert submission["current_assessment_type"] is None
    assert submission["grading_workflow"]["status"] == "complete"
    held = api.list_assessments(uuid)["assessments"][0]
    assert held["review_status"] == "pending"
    page = api.list_reviews("course-a", "item-1")
    assert page["total"] == 1
    (entry,) = page["reviews"]
    assert entry["submission_uuid"] == uuid
    assert entry["assessment_uuid"] == held["uuid"]
    assert entry["lowest_confidence"] == min(p["confidence"] for p in held["parts"])
    assert (entry["points_earned"], entry["points_possible"]) == (
        held["points_earned"],
        held["points_possible"],
    )

    confirmed = api.review_assessment(uuid, "confirm")

    assert confirmed["uuid"] == held["uuid"]
    assert confirmed["review_status"] == "confirmed"
    assert api.get_latest_assessment(uuid) == confirmed
    assert api.get_submission(uuid)["review_status"] == "released"
    assert api.list_reviews("course-a", "item-1")["total"] == 0
    with pytest.raises(ConflictError) as caught:
        api.review_assessment(uuid, "confirm")
    assert caught.value.code == "nothing_to_review"


def test_a_staff_grade_overrides_a_held_one(api, task_queue, item):
    _trained(api, task_queue, review_policy="all")
    uuid = _graded(api, task_queue)
    staff = api.create_staff_assessment(uuid, {"ideas": "good", "conventions": "few errors"})
    assert api.get_latest_assessment(uuid) == staff
    assert api.get_submission(uuid)["review_status"] == "released"
    assert api.list_reviews("course-a", "item-1")["total"] == 0
    with pytest.raises(ConflictError):
        api.review_assessment(uuid)


def test_under_policy_flagged_low_confidence_is_held_and_sure_grades_released(
    api, task_queue, item
):
    _trained(api, task_queue, review_policy="flagged", review_confidence_below=1.0)
    held = _graded(api, task_queue, "s1", 61)
    assert api.get_submission(held)["review_status"] == "pending"
    api.update_item("course-a", "item-1", review_confidence_below=0.0)
    released = _graded(api, task_queue, "s2", 62)
    assert api.get_submission(released)["review_status"] == "released"
    assert api.get_latest_assessment(released)["review_status"] == "released"
    assert [r["submission_uuid"] for r in api.list_reviews("course-a", "item-1")["reviews"]] == [
        held
    ]


def test_under_policy_flagged_a_flag_holds_the_grade_and_is_kept(runtime, api, task_queue, item):
    _trained(api, task_queue, review_policy="flagged", review_confidence_below=0.0)
    worker = runtime.worker
    submitted = api.submit("course-a", "item-1", "s1", essay(40))
    task_queue.pending.clear()  # grade it here, with a flag, as the grading task would
    batch = worker.begin_grading([submitted["grading_workflow_uuid"]])
    (to_grade,) = batch.essays
    flag = {"code": "not_text", "message": "No real words."}
    worker.record_grading_results(
        [
            GradingResult(
                to_grade.workflow_uuid,
                to_grade.classifier_set_uuid,
                {"ideas": CriterionScore(1, 0.9), "conventions": CriterionScore(3, 0.9)},
                flags=(flag,),
            )
        ]
    )
    uuid = submitted["submission_uuid"]
    assert api.get_latest_assessment(uuid) is None
    (entry,) = api.list_reviews("course-a", "item-1")["reviews"]
    assert entry["flags"] == [flag]
    assert api.list_assessments(uuid)["assessments"][0]["flags"] == [flag]
    assert api.review_assessment(uuid)["flags"] == [flag]


def test_policy_none_releases_every_grade(api, task_queue, item):
    _trained(api, task_queue, review_confidence_below=1.0)
    uuid = _graded(api, task_queue)
    assert api.get_latest_assessment(uuid)["review_status"] == "released"


def test_an_unknown_review_action_names_its_field(api, task_queue, item):
    _trained(api, task_queue, review_policy="all")
    uuid = _graded(api, task_queue)
    with pytest.raises(RequestError) as caught:
        api.review_assessment(uuid, "reject")
    assert caught.value.field == "action"
    assert api.get_submission(uuid)["review_status"] == "pending"


def test_the_review_queue_pages(api, task_queue, item):
    _trained(api, task_queue, review_policy="all")
    uuids = [_graded(api, task_queue, f"s{i}", 40 + i) for i in range(3)]
    page = api.list_reviews("course-a", "item-1", offset=1, limit=1)
    assert page["total"] == 3
    assert (page["offset"], page["limit"]) == (1, 1)
    assert [r["submission_uuid"] for r in page["reviews"]] == [uuids[1]]
    with pytest.raises(RequestError) as caught:
        api.list_reviews("course-a", "item-1", limit=0)
    assert caught.value.field == "limit"
