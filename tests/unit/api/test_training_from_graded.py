"""Training from staff-graded submissions, alone or with uploaded examples."""

from __future__ import annotations

import pytest

from essaygrader.db.models import TrainingExampleRecord
from essaygrader.errors import RequestError
from tests.conftest import row_counts
from tests.factories import essay, examples

LEVELS = (
    {"ideas": "poor", "conventions": "many errors"},
    {"ideas": "fair", "conventions": "few errors"},
    {"ideas": "good", "conventions": "few errors"},
)


def _grade_by_staff(api, count, start=0):
    uuids = []
    for i in range(start, start + count):
        level = i % 3
        uuid = api.submit("course-a", "item-1", f"s{i}", essay(20 + 40 * level, i))[
            "submission_uuid"
        ]
        api.create_staff_assessment(uuid, LEVELS[level])
        uuids.append(uuid)
    return uuids


def test_training_from_graded_submissions_alone(runtime, api, task_queue, item):
    graded = _grade_by_staff(api, 24)
    # A later grade of the same essay wins: the newest staff assessment is the example.
    api.create_staff_assessment(graded[0], LEVELS[2])
    counts = api.get_item("course-a", "item-1")
    assert (counts["staff_graded"], counts["corrections_since_training"]) == (24, 25)

    started = api.train_classifiers("course-a", "item-1", from_graded_submissions=True)

    assert (started["examples_uploaded"], started["examples_from_graded"]) == (0, 24)
    uuid = started["training_workflow_uuid"]
    workflow = api.get_training_workflow(uuid)
    assert (workflow["examples_uploaded"], workflow["examples_from_graded"]) == (0, 24)
    with runtime.database.transaction(read_only=True) as session:
        rows = session.query(TrainingExampleRecord).filter_by(workflow_uuid=uuid).all()
    assert [r.submission_uuid for r in sorted(rows, key=lambda r: r.position)] == graded
    first = next(r for r in rows if r.submission_uuid == graded[0])
    assert first.options_selected == LEVELS[2]
    task_queue.join()
    assert api.is_training_workflow_complete(uuid)
    assert api.get_item("course-a", "item-1")["corrections_since_training"] == 0
    api.create_staff_assessment(graded[1], LEVELS[0])
    assert api.get_item("course-a", "item-1")["corrections_since_training"] == 1
    assert api.list_items("course-a")["items"][0]["corrections_since_training"] == 1


def test_training_from_graded_submissions_and_uploaded_examples(runtime, api, task_queue, item):
    _grade_by_staff(api, 6)
    started = api.train_classifiers(
        "course-a", "item-1", examples(20), from_graded_submissions=True
    )
    assert (started["examples_uploaded"], started["examples_from_graded"]) == (20, 6)
    task_queue.join()
    assert api.is_training_workflow_complete(started["training_workflow_uuid"])


def test_without_graded_submissions_training_from_them_is_refused(runtime, api, item):
    api.submit("course-a", "item-1", "s1", essay(30))
    before = row_counts(runtime)
    with pytest.raises(RequestError) as caught:
        api.train_classifiers("course-a", "item-1", from_graded_submissions=True)
    assert caught.value.field == "from_graded_submissions"
    assert row_counts(runtime) == before


def test_too_few_graded_submissions_are_refused_as_too_few_examples(runtime, api, item):
    _grade_by_staff(api, 5)
    before = row_counts(runtime)
    with pytest.raises(RequestError) as caught:
        api.train_classifiers("course-a", "item-1", from_graded_submissions=True)
    assert caught.value.field == "examples"
    assert row_counts(runtime) == before


def test_examples_are_still_required_without_graded_submissions(api, item):
    with pytest.raises(RequestError) as caught:
        api.train_classifiers("course-a", "item-1")
    assert caught.value.field == "examples"
