from __future__ import annotations

import pytest

from essaygrader.errors import ConflictError, NotFoundError, RequestError
from tests.conftest import row_counts
from tests.factories import RUBRIC, examples, rubric


def test_create_get_and_list(api, item):
    assert item["rubric"] == RUBRIC
    assert item["published"] is False
    assert item["algorithm_id"] is None
    assert api.get_item("course-a", "item-1") == item
    api.create_item("course-b", "item-1", RUBRIC)
    listed = api.list_items("course-a")
    assert listed["total"] == 1
    assert listed["items"][0]["course_id"] == "course-a"
    assert api.list_items()["total"] == 2
    assert api.list_items(offset=1, limit=1)["items"][0]["course_id"] == "course-b"


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda api: api.create_item("course-a", "item-1", RUBRIC), ConflictError, "item_id"),
        (
            lambda api: api.create_item("c", "new", rubric(criteria="x")),
            RequestError,
            "rubric.criteria",
        ),
        (
            lambda api: api.create_item("c", "new", RUBRIC, algorithm_id="nope"),
            RequestError,
            "algorithm_id",
        ),
        (lambda api: api.create_item("c", "new", RUBRIC, min_qwk=2), RequestError, "min_qwk"),
        (lambda api: api.create_item("", "new", RUBRIC), RequestError, "course_id"),
        (lambda api: api.update_item("course-a", "missing", prompt="x"), NotFoundError, "item_id"),
        (
            lambda api: api.update_item("course-a", "item-1", published="yes"),
            RequestError,
            "published",
        ),
        (lambda api: api.list_items(limit=0), RequestError, "limit"),
    ],
)
def test_bad_item_requests_change_nothing(api, runtime, item, call, error, field):
    before = row_counts(runtime)
    with pytest.raises(error) as caught:
        call(api)
    assert caught.value.field == field
    assert row_counts(runtime) == before


def _train(api, task_queue):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()


def _new_structure():
    changed = rubric()
    changed["criteria"][0]["options"].append({"name": "great", "points": 3, "explanation": ""})
    return changed


def test_rubric_change_before_training_is_silent(api, item):
    assert api.update_item("course-a", "item-1", rubric=_new_structure())["warnings"] == []


def test_rubric_change_of_trained_draft_warns(api, task_queue, item):
    _train(api, task_queue)
    updated = api.update_item("course-a", "item-1", rubric=_new_structure())
    assert "train again" in updated["warnings"][0]
    assert updated["rubric"] == _new_structure()
    # The old classifiers no longer apply to the item's rubric.
    assert api.get_classifier_set_info("course-a", "item-1") is None


def test_rubric_change_of_trained_published_item_is_refused(api, runtime, task_queue, item):
    _train(api, task_queue)
    api.update_item("course-a", "item-1", published=True)
    before = row_counts(runtime)
    with pytest.raises(ConflictError, match="published and has trained classifiers"):
        api.update_item("course-a", "item-1", rubric=_new_structure())
    assert row_counts(runtime) == before
    assert api.get_item("course-a", "item-1")["rubric"] == RUBRIC
    # Rewording keeps the structure, so it is allowed even now.
    reworded = rubric()
    reworded["criteria"][0]["prompt"] = "Clearer wording"
    assert api.update_item("course-a", "item-1", rubric=reworded)["warnings"] == []
    assert api.get_classifier_set_info("course-a", "item-1") is not None
