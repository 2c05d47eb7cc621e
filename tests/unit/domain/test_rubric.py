from __future__ import annotations

import pytest

from essaygrader.domain.rubric import Rubric
from essaygrader.errors import RequestError
from tests.factories import RUBRIC, rubric


def test_parses_criteria_and_marks_feedback_only():
    parsed = Rubric.from_dict(RUBRIC)
    assert [c.name for c in parsed.criteria] == ["ideas", "conventions", "feedback"]
    assert [c.name for c in parsed.scored_criteria] == ["ideas", "conventions"]
    assert parsed.criterion("conventions").valid_points == [0, 3]
    assert parsed.points_possible == 5
    assert parsed.to_dict() == RUBRIC


def test_structure_hash_ignores_wording_but_content_hash_does_not():
    reworded = rubric()
    reworded["criteria"][0]["prompt"] = "Something else entirely"
    reworded["criteria"][0]["options"][0]["explanation"] = "Reworded."
    a, b = Rubric.from_dict(RUBRIC), Rubric.from_dict(reworded)
    assert a.structure_hash == b.structure_hash
    assert a.content_hash != b.content_hash


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["criteria"][0]["options"][0].update(points=5),
        lambda r: r["criteria"][0]["options"][0].update(name="bad"),
        lambda r: r["criteria"][0].update(name="content"),
        lambda r: r["criteria"].reverse(),
    ],
)
def test_structure_hash_follows_names_points_and_order(change):
    changed = rubric()
    change(changed)
    assert Rubric.from_dict(changed).structure_hash != Rubric.from_dict(RUBRIC).structure_hash


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (
            lambda r: r["criteria"][1]["options"][1].update(points=0),
            "rubric.criteria[1].options[1].points",
            "duplicate points 0",
        ),
        (
            lambda r: r["criteria"][0]["options"][2].update(name="poor"),
            "rubric.criteria[0].options[2].name",
            "duplicate option name",
        ),
        (
            lambda r: r["criteria"][1].update(name="ideas"),
            "rubric.criteria[1].name",
            "duplicate criterion name",
        ),
        (
            lambda r: r["criteria"][0]["options"][0].update(points=1.5),
            "rubric.criteria[0].options[0].points",
            "must be an integer",
        ),
        (
            lambda r: r["criteria"][0]["options"][0].update(points=True),
            "rubric.criteria[0].options[0].points",
            "must be an integer",
        ),
        (
            lambda r: r["criteria"][0]["options"][0].update(points=-1),
            "rubric.criteria[0].options[0].points",
            "must be from 0 to 1,000,000, not -1",
        ),
        (
            lambda r: r["criteria"][0]["options"][0].update(points=10**12),
            "rubric.criteria[0].options[0].points",
            "must be from 0 to 1,000,000",
        ),
        (
            lambda r: r["criteria"][0].update(prompt="null \x00 byte"),
            "rubric.criteria[0].prompt",
            "must not contain NUL characters",
        ),
        (
            lambda r: r["criteria"][0].update(name="half \ud800 pair"),
            "rubric.criteria[0].name",
            "unpaired surrogate",
        ),
        (
            lambda r: r["criteria"][0].update(name="  "),
            "rubric.criteria[0].name",
            "must not be empty",
        ),
        (
            lambda r: r["criteria"][0].update(colour="red"),
            "rubric.criteria[0]",
            "unknown field 'colour'",
        ),
        (
            lambda r: r["criteria"][0].update(options=[{"name": "only", "points": 1}]),
            "rubric.criteria[0].options",
            "has one option",
        ),
        (lambda r: r.update(criteria=[]), "rubric.criteria", "non-empty list"),
        (
            lambda r: r.update(criteria=[{"name": "x", "prompt": "", "options": []}]),
            "rubric.criteria",
            "all are feedback-only",
        ),
    ],
)
def test_invalid_rubrics_name_the_field(mutate, field, words):
    bad = rubric()
    mutate(bad)
    with pytest.raises(RequestError) as caught:
        Rubric.from_dict(bad)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert str(caught.value).startswith(field)


def test_non_object_rubric_is_refused():
    with pytest.raises(RequestError, match="rubric: must be an object"):
        Rubric.from_dict(["not", "a", "rubric"])


def _scale(count):
    """A criterion scored 0 to count - 1, one option per point value."""
    options = [{"name": f"{p} points", "points": p, "explanation": ""} for p in range(count)]
    return {"criteria": [{"name": "score", "prompt": "", "options": options}]}


def test_a_0_to_100_scale_is_accepted():
    parsed = Rubric.from_dict(_scale(101))
    assert parsed.criterion("score").valid_points == list(range(101))


def test_102_options_are_refused_naming_the_field():
    with pytest.raises(RequestError) as caught:
        Rubric.from_dict(_scale(102))
    assert caught.value.field == "rubric.criteria[0].options"
    assert "has 102 options; the limit is 101" in str(caught.value)
