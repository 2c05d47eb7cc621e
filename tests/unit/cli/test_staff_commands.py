"""Staff in the loop on the command line: review settings, training from graded
submissions, the results' source column, and the review queue."""

from __future__ import annotations

import csv
import json

from essaygrader.worker.params import CriterionScore, GradingResult
from tests.factories import essay, train_with_metrics

LEVELS = (
    {"ideas": "poor", "conventions": "many errors"},
    {"ideas": "fair", "conventions": "few errors"},
    {"ideas": "good", "conventions": "few errors"},
)


def test_train_from_graded_results_source_and_review(run, created, db):
    result = run("items", "update", "--course", "c", "--item", "i", "--review-policy", "all")
    assert result.exit_code == 0, result.output
    api = db.client
    assert api.get_item("c", "i")["review_policy"] == "all"
    submitted = api.submit_many(
        "c",
        "i",
        [{"student_id": f"s{n}", "answer": essay(20 + 40 * (n % 3), n)} for n in range(24)],
    )
    for n, s in enumerate(submitted[:21]):
        api.create_staff_assessment(s["submission_uuid"], LEVELS[n % 3])

    result = run("train", "--course", "c", "--item", "i", "--from-graded")
    assert result.exit_code == 0, result.output
    assert "0 examples, 21 staff-graded submissions" in result.output

    rows = list(csv.DictReader(run("results", "--course", "c", "--item", "i").output.splitlines()))
    assert [r["source"] for r in rows] == ["staff"] * 21 + [""] * 3
    first = json.loads(
        run("results", "--course", "c", "--item", "i", "--format", "jsonl").output.splitlines()[0]
    )
    assert first["source"] == "staff"

    # Grade one of the others as a worker would: under policy all it is held.
    train_with_metrics(db, "c", "i", None)
    held = submitted[21]
    batch = db.worker.begin_grading([held["grading_workflow_uuid"]])
    (essay_to_grade,) = batch.essays
    db.worker.record_grading_results(
        [
            GradingResult(
                essay_to_grade.workflow_uuid,
                essay_to_grade.classifier_set_uuid,
                {"ideas": CriterionScore(1, 0.4), "conventions": CriterionScore(3, 0.9)},
            )
        ]
    )
    listed = run("review", "list", "--course", "c", "--item", "i")
    assert listed.exit_code == 0, listed.output
    assert held["submission_uuid"] in listed.output
    assert "1 held for review" in listed.output
    assert "0.40" in listed.output
    confirmed = run("review", "confirm", held["submission_uuid"])
    assert confirmed.exit_code == 0, confirmed.output
    assert "4/5 points, now released" in confirmed.output
    assert "0 held for review" in run("review", "list", "--course", "c", "--item", "i").output
    again = run("review", "confirm", held["submission_uuid"])
    assert again.exit_code != 0
    assert "held for review" in again.output


def test_train_needs_examples_or_from_graded(run, created):
    result = run("train", "--course", "c", "--item", "i")
    assert result.exit_code == 2
    assert "--from-graded" in result.output
