"""Staff assessments, the current-assessment rule and the assessment history."""

from __future__ import annotations

import pytest

from essaygrader.errors import NotFoundError, RequestError
from tests.conftest import row_counts
from tests.factories import essay, examples

GOOD = {"ideas": "good", "conventions": "few errors"}


def test_a_staff_grade_before_any_training_is_current_with_its_feedback(api, item):
    submitted = api.submit("course-a", "item-1", "s1", essay(40))
    uuid = submitted["submission_uuid"]
    assert api.get_submission(uuid)["review_status"] == "none"

    staff = api.create_staff_assessment(
        uuid,
        GOOD,
        feedback={"ideas": "Clear thesis.", "feedback": "Well done."},
        overall_feedback="A strong essay.",
        scorer_id="ms-lee",
    )

    assert staff["type"] == "staff"
    assert staff["scorer_id"] == "ms-lee"
    assert staff["grading_workflow_uuid"] is None
    assert staff["classifier_set_uuid"] is None
    assert (staff["points_earned"], staff["points_possible"]) == (5, 5)
    assert [(p["criterion"], p["option"], p["confidence"]) for p in staff["parts"]] == [
        ("ideas", "good", 1.0),
        ("conventions", "few errors", 1.0),
    ]
    assert staff["feedback"] == {"ideas": "Clear thesis.", "feedback": "Well done."}
    assert staff["overall_feedback"] == "A strong essay."
    assert staff["flags"] == []
    assert staff["review_status"] == "released"
    assert api.get_latest_assessment(uuid) == staff
    assert api.get_assessment_scores_by_criteria(uuid) == {"ideas": 2, "conventions": 3}
    submission = api.get_submission(uuid)
    assert submission["assessment"] == staff
    assert (submission["review_status"], submission["current_assessment_type"]) == (
        "released",
        "staff",
    )
    listed = api.list_submissions("course-a", "item-1")["submissions"][0]
    assert listed["assessment"] == staff
    assert listed["current_assessment_type"] == "staff"


def test_feedback_alone_for_a_feedback_only_criterion_is_enough(api, item):
    uuid = api.submit("course-a", "item-1", "s1", essay(40))["submission_uuid"]
    staff = api.create_staff_assessment(uuid, GOOD, feedback={"feedback": "Nice."})
    assert staff["feedback"] == {"feedback": "Nice."}
    assert staff["overall_feedback"] == ""


def test_the_newest_staff_grade_overrides_the_ai_grade_and_history_keeps_all(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    uuid = api.submit("course-a", "item-1", "s1", essay(100))["submission_uuid"]
    task_queue.join()
    ai = api.get_latest_assessment(uuid)
    assert ai["type"] == "ai"
    assert ai["review_status"] == "released"
    assert api.get_submission(uuid)["current_assessment_type"] == "ai"

    first = api.create_staff_assessment(uuid, {"ideas": "poor", "conventions": "many errors"})
    second = api.create_staff_assessment(uuid, {"ideas": "fair", "conventions": "few errors"})

    assert api.get_latest_assessment(uuid) == second
    assert api.get_assessment_scores_by_criteria(uuid) == {"ideas": 1, "conventions": 3}
    history = api.list_assessments(uuid)["assessments"]
    assert [a["uuid"] for a in history] == [second["uuid"], first["uuid"], ai["uuid"]]


@pytest.mark.parametrize(
    ("options", "feedback", "overall", "field"),
    [
        ({"ideas": "good"}, None, "", "options_selected.conventions"),
        ({**GOOD, "ideas": "superb"}, None, "", "options_selected.ideas"),
        ({**GOOD, "style": "good"}, None, "", "options_selected.style"),
        ({**GOOD, "feedback": "good"}, None, "", "options_selected.feedback"),
        ({**GOOD, "ideas": 2}, None, "", "options_selected.ideas"),
        ("good", None, "", "options_selected"),
        (GOOD, {"style": "Nice."}, "", "feedback.style"),
        (GOOD, {"ideas": 3}, "", "feedback.ideas"),
        (GOOD, None, "x" * 20_001, "overall_feedback"),
        (GOOD, None, None, "overall_feedback"),
    ],
)
def test_a_bad_staff_grade_names_its_field_and_changes_nothing(
    api, runtime, item, options, feedback, overall, field
):
    uuid = api.submit("course-a", "item-1", "s1", essay(40))["submission_uuid"]
    before = row_counts(runtime)
    with pytest.raises(RequestError) as caught:
        api.create_staff_assessment(uuid, options, feedback=feedback, overall_feedback=overall)
    assert caught.value.field == field
    assert caught.value.code == "assessment_invalid"
    assert row_counts(runtime) == before


def test_grading_or_listing_an_unknown_submission_is_not_found(api, item):
    for call in (
        lambda: api.create_staff_assessment("no-such-uuid", GOOD),
        lambda: api.list_assessments("no-such-uuid"),
        lambda: api.review_assessment("no-such-uuid"),
    ):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert caught.value.code == "submission_not_found"
