"""The calls a networked service needs: lists and the backlog limited to some courses,
course-wide rescheduling, item history, example checks and service statistics."""

from __future__ import annotations

import pytest

from essaygrader.errors import NotFoundError, RequestError
from tests.conftest import row_counts
from tests.factories import RUBRIC, essay, examples, sample_metrics, train_with_metrics


@pytest.fixture
def three_courses(api):
    for course, item in [("a", "1"), ("a", "2"), ("b", "1"), ("c", "1")]:
        api.create_item(course, item, RUBRIC)


def test_list_items_limited_to_courses(api, three_courses):
    listed = api.list_items(course_ids=["a", "c"])
    assert [(i["course_id"], i["item_id"]) for i in listed["items"]] == [
        ("a", "1"),
        ("a", "2"),
        ("c", "1"),
    ]
    assert listed["total"] == 3
    assert api.list_items("b", course_ids=["a"])["total"] == 0
    assert api.list_items(course_ids=[])["total"] == 0
    with pytest.raises(RequestError) as raised:
        api.list_items(course_ids="a")
    assert raised.value.field == "course_ids"


def test_list_courses_counts_items(api, three_courses):
    assert api.list_courses()["courses"] == [
        {"course_id": "a", "items": 2},
        {"course_id": "b", "items": 1},
        {"course_id": "c", "items": 1},
    ]
    assert api.list_courses(offset=1, limit=1)["courses"] == [{"course_id": "b", "items": 1}]
    # Named courses come back even when they have no items yet.
    scoped = api.list_courses(course_ids=["c", "new", "a"])
    assert scoped["courses"] == [
        {"course_id": "a", "items": 2},
        {"course_id": "c", "items": 1},
        {"course_id": "new", "items": 0},
    ]
    assert scoped["total"] == 3


def test_status_of_a_course_and_of_several(api, task_queue, three_courses):
    api.submit("a", "1", "s1", essay(20))
    api.submit("a", "2", "s2", essay(20))
    api.submit("b", "1", "s3", essay(20))
    assert api.status()["workflows"]["grade"]["waiting"] == 3
    assert api.status("a")["workflows"]["grade"]["waiting"] == 2
    assert api.status(course_ids=["b", "c"])["workflows"]["grade"]["waiting"] == 1
    # A course outside course_ids counts nothing, whatever it holds.
    assert api.status("a", course_ids=["b"])["workflows"]["grade"]["waiting"] == 0
    assert api.status("a", "1", course_ids=["a"])["workflows"]["grade"]["waiting"] == 1
    oldest = api.status(course_ids=["b"])["oldest_unfinished"]["grade"]
    assert oldest["uuid"] == api.status("b", "1")["oldest_unfinished"]["grade"]["uuid"]
    with pytest.raises(RequestError):
        api.status(None, "1")


def test_rescheduling_a_whole_course_in_one_call(api, task_queue, three_courses):
    for item in ("1", "2"):
        api.train_classifiers("a", item, examples(30))
    api.submit("b", "1", "s", essay(20))
    task_queue.pending.clear()  # as if the broker had lost every task
    counts = api.reschedule_unfinished_tasks("a")
    assert counts == {
        "training_scheduled": 2,
        "grading_scheduled": 0,
        "grading_waiting": 0,
        "training_not_retried": 0,
    }
    assert [t.value for t, _, _ in task_queue.pending] == ["train", "train"]
    task_queue.join()
    assert api.status("a")["workflows"]["train"]["complete"] == 2
    # Course b was not touched: its essay still waits, and was not queued.
    assert api.status("b")["workflows"]["grade"]["waiting"] == 1
    assert api.reschedule_unfinished_tasks("nobody")["training_scheduled"] == 0
    with pytest.raises(RequestError) as raised:
        api.reschedule_unfinished_tasks(" a", None)
    assert raised.value.field == "course_id"


def test_workflow_statuses_leave_out_other_courses(api, task_queue, three_courses):
    mine = api.submit("a", "1", "s1", essay(20))["grading_workflow_uuid"]
    theirs = api.submit("b", "1", "s2", essay(20))["grading_workflow_uuid"]
    assert api.get_workflow_statuses([mine, theirs]) == {mine: "waiting", theirs: "waiting"}
    assert api.get_workflow_statuses([mine, theirs], course_ids=["a"]) == {mine: "waiting"}
    for bad in ([mine, 7], [mine, "nul\x00"], [""]):
        with pytest.raises(RequestError) as raised:
            api.get_workflow_statuses(bad)
        assert raised.value.field == f"workflow_uuids[{len(bad) - 1}]"


def test_low_confidence_filter(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", examples(30))
    for i in range(6):
        api.submit("course-a", "item-1", f"s{i}", essay(15 + 25 * i, i))
    task_queue.join()
    everything = api.list_submissions("course-a", "item-1")["submissions"]
    lowest = {
        s["submission_uuid"]: min(p["confidence"] for p in s["assessment"]["parts"])
        for s in everything
    }
    threshold = sorted(lowest.values())[3]
    low = api.list_submissions("course-a", "item-1", confidence_below=threshold)
    assert {s["submission_uuid"] for s in low["submissions"]} == {
        uuid for uuid, confidence in lowest.items() if confidence < threshold
    }
    assert low["total"] == 3
    assert api.list_submissions("course-a", "item-1", confidence_below=0.0)["total"] == 0
    for bad in (1.5, -0.1, "low", True):
        with pytest.raises(RequestError) as raised:
            api.list_submissions("course-a", "item-1", confidence_below=bad)
        assert raised.value.field == "confidence_below"


def test_classifier_set_and_training_history(runtime, api, task_queue, item):
    first = train_with_metrics(runtime, "course-a", "item-1", None)
    second = train_with_metrics(runtime, "course-a", "item-1", sample_metrics())
    history = api.list_classifier_sets("course-a", "item-1")
    assert [s["uuid"] for s in history["classifier_sets"]] == [second, first]
    assert history["current_uuid"] == second
    # The set records the gate of its item when it was made: this item has none.
    assert history["classifier_sets"][0]["metrics"] == {
        **sample_metrics(),
        "min_qwk": None,
        "passed_quality_gate": True,
    }
    assert api.list_classifier_sets("course-a", "item-1", offset=1)["classifier_sets"][0][
        "uuid"
    ] == (first)
    trainings = api.list_training_workflows("course-a", "item-1")
    assert trainings["total"] == 2
    assert [t["classifier_set_uuid"] for t in trainings["training_workflows"]] == [second, first]
    with pytest.raises(NotFoundError):
        api.list_classifier_sets("course-a", "nope")
    with pytest.raises(NotFoundError):
        api.list_training_workflows("course-b", "item-1")


def test_checking_examples_reports_every_bad_one_and_stores_nothing(runtime, api, item):
    rows = examples(30)
    rows[2]["options_selected"]["ideas"] = "great"
    rows[5]["text"] = " "
    del rows[7]["options_selected"]["conventions"]
    before = row_counts(runtime)
    checked = api.check_training_examples("course-a", "item-1", rows)
    assert checked["valid"] is False
    assert checked["examples"] == 30
    assert [(e["index"], e["field"]) for e in checked["errors"]] == [
        (2, "examples[2].options_selected.ideas"),
        (5, "examples[5].text"),
        (7, "examples[7].options_selected.conventions"),
    ]
    assert "unknown option 'great'" in checked["errors"][0]["message"]
    assert row_counts(runtime) == before


def test_checking_examples_as_a_set(api, item):
    good = api.check_training_examples("course-a", "item-1", examples(30))
    assert good["valid"] is True
    assert good["errors"] == []
    assert good["warnings"]  # fewer than warn_training_examples
    few = api.check_training_examples("course-a", "item-1", examples(3))
    assert few["errors"] == [
        {
            "index": None,
            "field": "examples",
            "message": "3 examples given; training needs at least 20 (setting "
            "min_training_examples)",
        }
    ]
    empty = api.check_training_examples("course-a", "item-1", [])
    assert empty["errors"][0]["field"] == "examples"
    assert empty["valid"] is False


def test_statistics(runtime, api, task_queue, item):
    api.create_item("course-b", "item-1", RUBRIC)
    train_with_metrics(runtime, "course-a", "item-1", sample_metrics())
    api.submit("course-a", "item-1", "s1", essay(30))
    api.submit("course-b", "item-1", "s2", essay(30))
    task_queue.join()
    stats = api.statistics()
    assert stats["workflows"]["train"]["complete"] == 1
    assert stats["workflows"]["grade"] == {
        "waiting": 1,
        "scheduled": 0,
        "failed": 0,
        "complete": 1,
    }
    grading = stats["durations"]["grade"]
    assert grading["count"] == 1
    assert 0 <= grading["sum"] < 60
    assert grading["buckets"][-1] == [7200, 1]
    counts = [n for _, n in grading["buckets"]]
    assert counts == sorted(counts)  # cumulative
    assert stats["attempts"] == {"train": 1, "grade": 1}
    (current,) = stats["classifier_sets"]
    assert (current["course_id"], current["item_id"]) == ("course-a", "item-1")
    assert current["metrics"]["mean_qwk"] == sample_metrics()["mean_qwk"]
    assert set(stats["queues"]) == {"training", "grading"}
