"""Advisory flags computed at grading, whatever the algorithm, and kept with the assessment."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update

from essaygrader.algorithms.flags import ItemProfile
from essaygrader.db.models import ClassifierSetRecord, SubmissionRecord
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.factories import RUBRIC, essay, examples

MASH = "asdf jkl; qwer asdf zxcv jkl; asdf qwerty uiop hjkl asdf ;lkj fdsa"


@pytest.fixture
def runtime(settings):
    made = Runtime(settings, task_queue=InProcessTaskQueue())
    yield made
    made.close()


def _trained(runtime, **item):
    runtime.client.create_item("c", "i", RUBRIC, prompt="Write about the town garden.", **item)
    runtime.client.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()


def _flags(runtime, submission_uuid):
    (assessment,) = runtime.client.list_assessments(submission_uuid)["assessments"]
    return assessment["flags"]


def _originals(count=3):
    return [{"student_id": f"s{n}", "answer": essay(60 + n, seed=500 + n)} for n in range(count)]


def test_training_keeps_the_item_profile_with_the_classifier_set(runtime):
    _trained(runtime)
    with runtime.database.transaction(read_only=True) as session:
        (record,) = session.scalars(select(ClassifierSetRecord))
        profile = ItemProfile.from_json(record.profile)
    assert profile.essays == 30
    assert profile.too_short_below >= 1
    assert "garde" in profile.topic_terms  # topic is kept by stem: "garden", "gardens"


def test_a_near_copy_is_flagged_naming_the_earlier_submission(runtime):
    _trained(runtime)
    originals = runtime.client.submit_many("c", "i", _originals())
    runtime.task_queue.join()
    copy = essay(61, seed=501).replace("garden", "Garden!", 1) + " Thank you."
    later = runtime.client.submit_many(
        "c",
        "i",
        [
            {"student_id": "copier", "answer": copy},
            # A student's own second try is no copy of another's work.
            {"student_id": "s2", "answer": essay(62, seed=502) + " Done."},
            {"student_id": "masher", "answer": MASH},
        ],
    )
    runtime.task_queue.join()
    assert all(_flags(runtime, s["submission_uuid"]) == [] for s in originals)
    (duplicate,) = _flags(runtime, later[0]["submission_uuid"])
    assert duplicate["code"] == "duplicate"
    assert duplicate["submission_uuid"] == originals[1]["submission_uuid"]
    assert originals[1]["submission_uuid"] in duplicate["message"]
    assert _flags(runtime, later[1]["submission_uuid"]) == []
    assert [f["code"] for f in _flags(runtime, later[2]["submission_uuid"])] == ["not_text"]


def test_a_worker_never_names_an_erased_submission_as_the_original(runtime):
    # The worker keeps each item's signatures between batches; erasing a student's data
    # must not leave theirs behind in it.
    _trained(runtime)
    originals = runtime.client.submit_many("c", "i", _originals())
    runtime.task_queue.join()
    runtime.client.erase_student("c", "s1")
    copy = essay(61, seed=501).replace("garden", "Garden!", 1) + " Thank you."
    (later,) = runtime.client.submit_many("c", "i", [{"student_id": "copier", "answer": copy}])
    runtime.task_queue.join()
    assert _flags(runtime, later["submission_uuid"]) == []
    # ... while copies of what is still there are found from the same worker's index.
    again = essay(62, seed=502).replace("garden", "Garden!", 1) + " Thank you."
    (copied,) = runtime.client.submit_many("c", "i", [{"student_id": "other", "answer": again}])
    runtime.task_queue.join()
    (duplicate,) = _flags(runtime, copied["submission_uuid"])
    assert duplicate["submission_uuid"] == originals[2]["submission_uuid"]


def test_under_review_policy_flagged_a_flagged_assessment_is_held(runtime):
    _trained(runtime, review_policy="flagged", review_confidence_below=0.0)
    fine, mash = runtime.client.submit_many(
        "c", "i", [_originals(1)[0], {"student_id": "masher", "answer": MASH}]
    )
    runtime.task_queue.join()
    assert runtime.client.get_submission(fine["submission_uuid"])["review_status"] == "released"
    held = runtime.client.get_submission(mash["submission_uuid"])
    assert held["review_status"] == "pending"
    assert held["assessment"] is None
    reviews = runtime.client.list_reviews("c", "i")
    assert [r["submission_uuid"] for r in reviews["reviews"]] == [mash["submission_uuid"]]
    assert [f["code"] for f in reviews["reviews"][0]["flags"]] == ["not_text"]


def test_signatures_are_kept_at_submit_and_made_at_grading_when_missing(runtime):
    _trained(runtime)
    first = runtime.client.submit_many("c", "i", _originals(1))
    copy = runtime.client.submit("c", "i", "copier", essay(60, seed=500) + " The end.")
    with runtime.database.transaction() as session:
        assert None not in session.scalars(select(SubmissionRecord.signature)).all()
        # As if stored before signatures existed.
        session.execute(update(SubmissionRecord).values(signature=None))
    runtime.task_queue.join()
    assert _flags(runtime, first[0]["submission_uuid"]) == []
    assert [f["code"] for f in _flags(runtime, copy["submission_uuid"])] == ["duplicate"]
    with runtime.database.transaction(read_only=True) as session:
        stored = session.scalars(select(SubmissionRecord.signature)).all()
    assert [len(s) for s in stored] == [512, 512]


def test_a_damaged_profile_costs_its_flags_not_the_grades(runtime, caplog):
    _trained(runtime)
    with runtime.database.transaction() as session:
        session.execute(
            update(ClassifierSetRecord).values(profile={"version": 1, "topic_terms": "x" * 10})
        )
    with caplog.at_level(logging.ERROR):
        submitted = runtime.client.submit_many(
            "c", "i", [{"student_id": "a", "answer": "hi"}, {"student_id": "b", "answer": MASH}]
        )
        runtime.task_queue.join()
    assert "item profile not loaded" in caplog.text
    # Without the profile, too_short cannot be judged; not_text needs none.
    assert _flags(runtime, submitted[0]["submission_uuid"]) == []
    assert [f["code"] for f in _flags(runtime, submitted[1]["submission_uuid"])] == ["not_text"]


def test_a_profile_out_of_bounds_is_refused():
    profile = ItemProfile(
        essays=3,
        words_median=100.0,
        too_short_below=10,
        topic_terms=("garde",),
        topic_weights=(1.0,),
        key_terms=("garde",),
        key_shares=(0.9,),
        topic_scale=1.0,
        evidence_scale=2.0,
        off_topic_below=0.1,
        prompt_shingles=(1, 2),
        stems_median=60.0,
        key_slopes=(0.5,),
    )
    assert ItemProfile.from_json(profile.to_json()) == profile
    for change, message in (
        ({"topic_terms": ["garden"] * 3001, "topic_weights": [1.0] * 3001}, "too large"),
        ({"topic_weights": [float("nan")]}, "not finite"),
        ({"prompt_shingles": [-1]}, "63-bit"),
        ({"topic_terms": [""]}, "words of 1 to"),
        ({"essays": 0}, "negative"),
        ({"key_shares": [1.5]}, "shares from 0 to 1"),
        ({"key_terms": ["garde"] * 31, "key_shares": [0.5] * 31, "key_slopes": []}, "key terms"),
        ({"key_slopes": [0.5, 0.5]}, "differ in length"),
        ({"key_slopes": [-0.1]}, "key_slopes must be from 0 to"),
        ({"key_slopes": [11.0]}, "key_slopes must be from 0 to"),
        ({"stems_median": -1.0}, "stems_median must not be negative"),
        ({"stems_median": float("inf")}, "not finite"),
        ({"version": 4}, "not an item profile"),
    ):
        with pytest.raises(ValueError, match=message):
            ItemProfile.from_json({**profile.to_json(), **change})
