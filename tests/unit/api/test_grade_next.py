"""What to grade next, through the in-process API."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from essaygrader.db.models import AssessmentRecord
from essaygrader.errors import NotFoundError, RequestError
from tests.factories import essay, examples

TOPICS = {
    "garden": "garden soil seeds tomato watering compost harvest weeds beans roots",
    "space": "rocket orbit planet telescope galaxy astronaut launch moon comet gravity",
    "music": "guitar drums melody rhythm concert singer chorus piano violin band",
}


def _topic_essay(topic: str, rng: random.Random) -> str:
    # One length for all, so that only the topic tells them apart.
    words = [*TOPICS[topic].split(), "the", "a", "and", "we", "it", "was", "to", "of", "in", "my"]
    return " ".join(rng.choice(words) for _ in range(60)).capitalize() + "."


def test_before_training_it_draws_a_steady_random_sample_not_the_first_n(api, item):
    rng = random.Random(3)
    order = ["garden"] * 20 + ["space"] * 6 + ["music"] * 6
    submitted = [
        api.submit("course-a", "item-1", f"s{i}", _topic_essay(topic, rng))["submission_uuid"]
        for i, topic in enumerate(order)
    ]
    found = api.grade_next("course-a", "item-1", limit=10)
    assert found["strategy"] == "variety"
    assert found["classifier_set_uuid"] is None
    assert found["ungraded"] == 32
    chosen = [s["submission_uuid"] for s in found["submissions"]]
    assert len(set(chosen)) == 10
    assert chosen != submitted[:10]
    assert {submitted.index(u) for u in chosen} - set(range(20))
    assert all("drawn at random" in s["reason"] for s in found["submissions"])
    assert api.grade_next("course-a", "item-1", limit=10)["submissions"] == found["submissions"]
    ideas = next(c for c in found["coverage"] if c["criterion"] == "ideas")
    assert [o["examples"] for o in ideas["options"]] == [0, 0, 0]
    assert "more essays at" in ideas["advice"]
    assert [c["criterion"] for c in found["coverage"]] == ["ideas", "conventions"]


def test_after_training_it_mixes_random_essays_with_every_predicted_score(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    # The fake classifier scores by length: about 22, 62 and 102 words are its three
    # levels. Many essays look middling, a few weak, one strong.
    lengths = [62] * 10 + [22] * 3 + [102]
    submitted = [
        api.submit("course-a", "item-1", f"s{i}", essay(n, seed=i))["submission_uuid"]
        for i, n in enumerate(lengths)
    ]
    task_queue.join()
    found = api.grade_next("course-a", "item-1", limit=6)
    assert found["strategy"] == "uncertainty"
    assert found["classifier_set_uuid"] is not None
    length_of = dict(zip(submitted, lengths, strict=True))
    reasons = [s["reason"] for s in found["submissions"]]
    # Half drawn at random (first), half going round the predicted scores the random
    # half left: together every predicted score, the rare strong one included.
    assert ["drawn at random" in r for r in reasons] == [True, False] * 3
    assert all("predicted" in r and "confidence" in r for r in reasons[1::2])
    assert {length_of[s["submission_uuid"]] for s in found["submissions"]} == {22, 62, 102}
    assert api.grade_next("course-a", "item-1", limit=6)["submissions"] == found["submissions"]
    ideas = next(c for c in found["coverage"] if c["criterion"] == "ideas")
    assert [(o["option"], o["examples"]) for o in ideas["options"]] == [
        ("poor", 10),
        ("fair", 10),
        ("good", 10),
    ]
    assert ideas["advice"] == "every option has enough examples"


def test_submissions_graded_by_staff_are_left_out(api, task_queue, item, runtime):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    submitted = [api.submit("course-a", "item-1", f"s{i}", essay(30 + 5 * i, i)) for i in range(4)]
    task_queue.join()
    staff_graded = submitted[0]["submission_uuid"]
    # Until staff assessments can be recorded through the API, stand one in by turning
    # the submission's AI assessment into a staff grade of "good" ideas.
    with runtime.database.transaction() as session:
        record = session.scalar(
            select(AssessmentRecord).where(AssessmentRecord.submission_uuid == staff_graded)
        )
        record.score_type = "staff"
        for part in record.parts:
            if part.criterion == "ideas":
                part.option, part.points = "good", 2
    found = api.grade_next("course-a", "item-1", limit=10)
    assert found["ungraded"] == 3
    assert staff_graded not in {s["submission_uuid"] for s in found["submissions"]}
    ideas = next(c for c in found["coverage"] if c["criterion"] == "ideas")
    assert next(o for o in ideas["options"] if o["option"] == "good")["examples"] == 11


@pytest.mark.parametrize("limit", [0, 101, "3", True])
def test_limit_out_of_range_is_refused(api, item, limit):
    with pytest.raises(RequestError) as caught:
        api.grade_next("course-a", "item-1", limit=limit)
    assert caught.value.field == "limit"


def test_unknown_item(api):
    with pytest.raises(NotFoundError):
        api.grade_next("course-a", "nope")


def test_no_submissions_answers_an_empty_queue(api, item):
    found = api.grade_next("course-a", "item-1")
    assert found["submissions"] == []
    assert found["ungraded"] == 0
