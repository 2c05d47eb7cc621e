from __future__ import annotations

import pytest

from essaygrader.domain.rubric import Rubric
from essaygrader.domain.training import check_trainable, parse_examples, points_by_criterion
from essaygrader.errors import RequestError
from tests.factories import RUBRIC, examples

PARSED = Rubric.from_dict(RUBRIC)


def test_valid_examples_and_their_points():
    parsed = parse_examples(examples(6), PARSED, max_chars=10_000)
    assert len(parsed) == 6
    assert points_by_criterion(parsed, PARSED) == {
        "ideas": [0, 1, 2, 0, 1, 2],
        "conventions": [0, 3, 3, 0, 3, 3],
    }


def test_feedback_only_values_are_ignored():
    raw = examples(1)
    raw[0]["options_selected"]["feedback"] = "Nice work"
    assert parse_examples(raw, PARSED, max_chars=1000)[0].options_selected == {
        "ideas": "poor",
        "conventions": "many errors",
    }


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (
            lambda e: e[2]["options_selected"].update(ideas="superb"),
            "examples[2].options_selected.ideas",
            "unknown option 'superb'",
        ),
        (
            lambda e: e[1]["options_selected"].pop("conventions"),
            "examples[1].options_selected.conventions",
            "no option selected",
        ),
        (
            lambda e: e[0]["options_selected"].update(style="fine"),
            "examples[0].options_selected.style",
            "unknown criterion 'style'",
        ),
        (lambda e: e[3].update(text="   "), "examples[3].text", "must not be empty"),
        (lambda e: e[3].update(text="x" * 1001), "examples[3].text", "the limit is 1,000"),
        (
            lambda e: e[0].pop("options_selected"),
            "examples[0].options_selected",
            "must be an object",
        ),
        (lambda e: e[0].update(score=3), "examples[0]", "unknown field 'score'"),
    ],
)
def test_invalid_examples_name_index_and_field(mutate, field, words):
    raw = examples(5)
    mutate(raw)
    with pytest.raises(RequestError) as caught:
        parse_examples(raw, PARSED, max_chars=1000)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_trainability_rules():
    parsed = parse_examples(examples(30), PARSED, max_chars=10_000)
    warnings = check_trainable(parsed, PARSED, min_examples=20, warn_below=100)
    assert len(warnings) == 2
    assert "only 30 examples" in warnings[0]
    assert check_trainable(parsed, PARSED, min_examples=20, warn_below=30) == []
    with pytest.raises(RequestError, match="training needs at least 40"):
        check_trainable(parsed, PARSED, min_examples=40, warn_below=100)


def test_a_criterion_with_one_point_value_is_refused_by_name():
    raw = examples(30)
    for example in raw:
        example["options_selected"]["conventions"] = "few errors"
    parsed = parse_examples(raw, PARSED, max_chars=10_000)
    with pytest.raises(RequestError, match="criterion 'conventions': every example"):
        check_trainable(parsed, PARSED, min_examples=20, warn_below=100)
