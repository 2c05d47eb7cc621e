from __future__ import annotations

import pytest

from essaygrader.domain.item import ItemKey, check_rubric_change
from essaygrader.domain.rubric import Rubric
from essaygrader.errors import ConflictError, RequestError
from tests.factories import RUBRIC, rubric

KEY = ItemKey("c", "i")
OLD = Rubric.from_dict(RUBRIC)


def changed_structure() -> Rubric:
    new = rubric()
    new["criteria"][0]["options"][2]["points"] = 4
    return Rubric.from_dict(new)


def test_structure_change_on_published_trained_item_is_refused():
    with pytest.raises(ConflictError, match="published and has trained classifiers"):
        check_rubric_change(KEY, OLD, changed_structure(), published=True, has_classifiers=True)


def test_structure_change_on_draft_trained_item_warns_to_retrain():
    warnings = check_rubric_change(
        KEY, OLD, changed_structure(), published=False, has_classifiers=True
    )
    assert len(warnings) == 1
    assert "train again" in warnings[0]


@pytest.mark.parametrize("published", [True, False])
def test_untrained_items_and_rewording_change_freely(published):
    assert (
        check_rubric_change(
            KEY, OLD, changed_structure(), published=published, has_classifiers=False
        )
        == []
    )
    reworded = rubric()
    reworded["criteria"][0]["prompt"] = "New wording"
    assert (
        check_rubric_change(
            KEY, OLD, Rubric.from_dict(reworded), published=published, has_classifiers=True
        )
        == []
    )


@pytest.mark.parametrize(
    ("course", "item", "field"),
    [
        ("", "i", "course_id"),
        ("c", " i", "item_id"),
        ("c\n", "i", "course_id"),
        (None, "i", "course_id"),
        ("c", "x" * 256, "item_id"),
    ],
)
def test_item_keys_are_validated(course, item, field):
    with pytest.raises(RequestError) as caught:
        ItemKey.parse(course, item)
    assert caught.value.field == field
