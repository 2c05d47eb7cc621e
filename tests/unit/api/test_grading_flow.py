from __future__ import annotations

import pytest

from essaygrader.errors import NotFoundError, RequestError
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples


def test_submissions_before_and_after_training_all_end_graded(api, task_queue, item):
    early = [api.submit("course-a", "item-1", f"s{i}", essay(10 + 30 * i, i)) for i in range(3)]
    assert {s["status"] for s in early} == {"waiting"}
    assert all(s["grading_workflow_uuid"] for s in early)
    assert task_queue.pending == type(task_queue.pending)()  # nothing to run yet

    started = api.train_classifiers("course-a", "item-1", examples(30))
    uuid = started["training_workflow_uuid"]
    assert api.get_training_workflow(uuid)["status"] == "scheduled"
    task_queue.join()
    training = api.get_training_workflow(uuid)
    assert training["status"] == "complete"
    assert (training["criteria_done"], training["criteria_total"]) == (2, 2)

    late = api.submit(
        "course-a", "item-1", "s9", {"parts": ["First part.", essay(90, 9)]}, external_id="ext-9"
    )
    assert late["status"] == "scheduled"
    task_queue.join()
    for submitted in [*early, late]:
        assert api.is_grading_workflow_complete(submitted["grading_workflow_uuid"])
        assessment = api.get_latest_assessment(submitted["submission_uuid"])
        assert assessment["type"] == "ai"
        assert assessment["scorer_id"] == "fake"
        assert [p["criterion"] for p in assessment["parts"]] == ["ideas", "conventions"]
        for part in assessment["parts"]:
            criterion = next(c for c in RUBRIC["criteria"] if c["name"] == part["criterion"])
            option = next(o for o in criterion["options"] if o["name"] == part["option"])
            assert option["points"] == part["points"]
            assert 0.0 <= part["confidence"] <= 1.0
        assert assessment["points_possible"] == 5
        scores = api.get_assessment_scores_by_criteria(submitted["submission_uuid"])
        assert scores == {p["criterion"]: p["points"] for p in assessment["parts"]}
    # Length drives the fake classifier: the longest essay outscores the shortest.
    assert (
        api.get_assessment_scores_by_criteria(early[2]["submission_uuid"])["ideas"]
        > api.get_assessment_scores_by_criteria(early[0]["submission_uuid"])["ideas"]
    )
    info = api.get_classifier_set_info("course-a", "item-1")
    assert info["algorithm_id"] == "fake"
    assert [c["criterion"] for c in info["classifiers"]] == ["ideas", "conventions"]
    assert api.get_submission(late["submission_uuid"])["external_id"] == "ext-9"


def test_classifiers_are_never_shared_across_items_or_courses(api, task_queue, item):
    api.create_item("course-b", "item-1", RUBRIC)
    api.create_item("course-a", "item-2", RUBRIC)
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    for course, item_id in (("course-b", "item-1"), ("course-a", "item-2")):
        submitted = api.submit(course, item_id, "s1", essay(40))
        assert submitted["status"] == "waiting"
        assert api.get_classifier_set_info(course, item_id) is None


def test_training_with_an_explicit_algorithm_and_listing(api, task_queue, item):
    started = api.train_classifiers("course-a", "item-1", examples(30), algorithm_id="fake")
    assert started["algorithm_id"] == "fake"
    assert any("only 30 examples" in w for w in started["warnings"])
    task_queue.join()
    for i in range(3):
        api.submit("course-a", "item-1", f"s{i}", essay(20 + i))
    listing = api.list_submissions("course-a", "item-1", limit=2)
    assert listing["total"] == 3
    assert len(listing["submissions"]) == 2
    assert api.list_submissions("course-a", "item-1", status="complete")["total"] == 0
    task_queue.join()
    done = api.list_submissions("course-a", "item-1", status="complete")
    assert done["total"] == 3
    assert all(s["assessment"]["parts"] for s in done["submissions"])


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda api: api.submit("course-a", "item-1", "s1", ""), RequestError, "answer"),
        (
            lambda api: api.submit("course-a", "item-1", "s1", "x" * 100_001),
            RequestError,
            "answer",
        ),
        (
            lambda api: api.submit("course-a", "item-1", "s1", {"essay": "x"}),
            RequestError,
            "answer",
        ),
        (
            lambda api: api.submit("course-a", "item-1", "", "text"),
            RequestError,
            "student_id",
        ),
        (lambda api: api.submit("course-a", "nope", "s1", "text"), NotFoundError, "item_id"),
        (
            lambda api: api.submit_many(
                "course-a",
                "item-1",
                [{"student_id": "a", "answer": "fine"}, {"student_id": "b", "answer": "  "}],
            ),
            RequestError,
            "submissions[1].answer",
        ),
        (
            lambda api: api.train_classifiers("course-a", "item-1", examples(10)),
            RequestError,
            "examples",
        ),
        (
            lambda api: api.train_classifiers(
                "course-a", "item-1", examples(30), algorithm_id="nope"
            ),
            RequestError,
            "algorithm_id",
        ),
        (
            lambda api: api.train_classifiers("course-a", "nope", examples(30)),
            NotFoundError,
            "item_id",
        ),
        (
            lambda api: api.get_training_workflow("no-such-id"),
            NotFoundError,
            "workflow_uuid",
        ),
        (
            lambda api: api.get_grading_workflow("no-such-id"),
            NotFoundError,
            "workflow_uuid",
        ),
        (
            lambda api: api.get_latest_assessment("no-such-id"),
            NotFoundError,
            "submission_uuid",
        ),
    ],
)
def test_bad_requests_change_nothing(api, runtime, task_queue, item, call, error, field):
    before = row_counts(runtime)
    with pytest.raises(error) as caught:
        call(api)
    assert caught.value.field == field
    assert row_counts(runtime) == before
    assert not task_queue.pending


def test_unknown_option_in_training_names_example_and_criterion(api, runtime, item):
    bad = examples(30)
    bad[7]["options_selected"]["ideas"] = "brilliant"
    before = row_counts(runtime)
    with pytest.raises(RequestError) as caught:
        api.train_classifiers("course-a", "item-1", bad)
    assert caught.value.field == "examples[7].options_selected.ideas"
    assert row_counts(runtime) == before


def test_status_counts_and_oldest(api, task_queue, item):
    api.submit("course-a", "item-1", "s1", essay(30))
    report = api.status("course-a", "item-1")
    assert report["workflows"]["grade"]["waiting"] == 1
    assert report["oldest_unfinished"]["grade"]["age_seconds"] >= 0
    assert report["queues"] == {"training": 0, "grading": 0}
    assert report["classifier_set"] is None
    api.train_classifiers("course-a", "item-1", examples(30))
    assert api.status()["queues"]["training"] == 1
    task_queue.join()
    report = api.status("course-a", "item-1")
    assert report["workflows"]["grade"]["complete"] == 1
    assert report["workflows"]["train"]["complete"] == 1
    assert report["oldest_unfinished"] == {"train": None, "grade": None}
