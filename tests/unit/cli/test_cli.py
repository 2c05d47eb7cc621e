"""The command line: each bad input exits non-zero with a one-line error naming the field,
and leaves the database as it was."""

from __future__ import annotations

import csv
import json
import socket

import pytest

from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.conftest import row_counts
from tests.factories import essay, examples, rubric
from tests.unit.cli.conftest import example_rows, write, write_examples


def test_create_train_submit_results_status(run, created, db):
    assert "at schema revision" in run("init").output
    write_examples(created / "training.csv", example_rows())
    result = run("train", "--course", "c", "--item", "i", "--examples", created / "training.csv")
    assert result.exit_code == 0, result.output
    assert "training workflow" in result.output
    assert "warning: criterion 'ideas'" in result.output
    write(
        created / "essays.jsonl",
        "".join(
            json.dumps({"student_id": f"s{i}", "text": essay(30, i), "external_id": f"e{i}"}) + "\n"
            for i in range(3)
        ),
    )
    result = run("submit", "--course", "c", "--item", "i", created / "essays.jsonl")
    assert result.exit_code == 0, result.output
    assert "submitted 3 essays; 3 wait" in result.output
    status = run("status", "--course", "c", "--item", "i")
    assert "training  1 scheduled" in status.output
    assert "grading   3 waiting" in status.output
    assert "queues    training 1" in status.output
    rows = list(csv.DictReader(run("results", "--course", "c", "--item", "i").output.splitlines()))
    assert [r["student_id"] for r in rows] == ["s0", "s1", "s2"]
    assert {r["status"] for r in rows} == {"waiting"}
    assert "ideas.option" in rows[0]
    lines = run("results", "--course", "c", "--item", "i", "--format", "jsonl").output
    assert json.loads(lines.splitlines()[0])["external_id"] == "e0"
    resched = run("reschedule", "--course", "c", "--item", "i")
    assert "rescheduled 1 training and 0 grading tasks; 3 submissions wait" in resched.output
    assert "sent again: 0 training" in run("sweep").output


CASES = {
    "malformed rubric JSON": (
        lambda d: [
            "items",
            "create",
            "--course",
            "c",
            "--item",
            "new",
            "--rubric",
            write(d / "bad.json", '{"criteria": ['),
        ],
        "bad.json: malformed JSON at line 1",
    ),
    "duplicate option points": (
        lambda d: [
            "items",
            "create",
            "--course",
            "c",
            "--item",
            "new",
            "--rubric",
            write(
                d / "dup.json",
                json.dumps(
                    rubric(
                        criteria=[
                            {
                                "name": "x",
                                "options": [{"name": "a", "points": 1}, {"name": "b", "points": 1}],
                            }
                        ]
                    )
                ),
            ),
        ],
        "rubric.criteria[0].options[1].points: duplicate points 1",
    ),
    "unknown algorithm": (
        lambda d: [
            "items",
            "create",
            "--course",
            "c",
            "--item",
            "new",
            "--rubric",
            d / "rubric.json",
            "--algorithm",
            "nope",
        ],
        "algorithm_id: unknown algorithm 'nope'",
    ),
    "example with an unknown option": (
        lambda d: [
            "train",
            "--course",
            "c",
            "--item",
            "i",
            "--examples",
            write_examples(
                d / "ex.csv",
                [
                    *example_rows(29),
                    {"text": "An essay.", "ideas": "superb", "conventions": "few errors"},
                ],
            ),
        ],
        "ex.csv line 31, column 'ideas': unknown option 'superb'",
    ),
    "missing criterion column": (
        lambda d: [
            "train",
            "--course",
            "c",
            "--item",
            "i",
            "--examples",
            write_examples(d / "ex.csv", example_rows(), columns=("text", "ideas")),
        ],
        "ex.csv: missing column 'conventions'",
    ),
    "unknown column": (
        lambda d: [
            "train",
            "--course",
            "c",
            "--item",
            "i",
            "--examples",
            write_examples(
                d / "ex.csv", example_rows(), columns=("text", "ideas", "conventions", "idea")
            ),
        ],
        "ex.csv: unknown column 'idea'",
    ),
    "training with an unknown algorithm": (
        lambda d: [
            "train",
            "--course",
            "c",
            "--item",
            "i",
            "--algorithm",
            "nope",
            "--examples",
            write_examples(d / "ex.csv", example_rows()),
        ],
        "algorithm_id: unknown algorithm 'nope'",
    ),
    "empty essay": (
        lambda d: [
            "submit",
            "--course",
            "c",
            "--item",
            "i",
            write(d / "e.csv", 'student_id,text\ns1,fine essay\ns2,"  "\n'),
        ],
        "e.csv line 3, column 'text': must not be empty",
    ),
    "essay over the size limit": (
        lambda d: [
            "submit",
            "--course",
            "c",
            "--item",
            "i",
            write(d / "e.csv", "student_id,text\ns1," + "x" * 100_001 + "\n"),
        ],
        "e.csv line 2, column 'text': is 100,001 characters; the limit is 100,000",
    ),
    "non-UTF-8 file": (
        lambda d: [
            "submit",
            "--course",
            "c",
            "--item",
            "i",
            write(d / "e.csv", "student_id,text\ns1,caf\xe9\n".encode("latin-1")),
        ],
        "e.csv: is not UTF-8 text (byte 0xe9",
    ),
    "unknown file type": (
        lambda d: ["submit", "--course", "c", "--item", "i", write(d / "e.txt", "x")],
        "e.txt: unknown file type '.txt'",
    ),
    "unknown item": (
        lambda d: [
            "submit",
            "--course",
            "c",
            "--item",
            "nope",
            write(d / "e.csv", "student_id,text\ns1,essay\n"),
        ],
        "item_id: no item c/nope",
    ),
    "unknown workflow id": (
        lambda d: ["workflow", "0000-no-such"],
        "workflow_uuid: no training or grading workflow and no submission '0000-no-such'",
    ),
    "reschedule of an unknown item": (
        lambda d: ["reschedule", "--course", "c", "--item", "nope"],
        "item_id: no item c/nope",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_nonzero_naming_the_field_and_changes_nothing(run, created, db, case):
    args, message = CASES[case]
    full_args = args(created)
    before = row_counts(db)
    result = run(*full_args)
    assert result.exit_code == 2, result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.output
    assert message in error_lines[0]
    assert row_counts(db) == before


def test_rubric_change_on_published_trained_item(run, created, db):
    runtime = Runtime(db.settings, task_queue=InProcessTaskQueue())
    runtime.client.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()
    runtime.close()
    assert run("items", "update", "--course", "c", "--item", "i", "--published").exit_code == 0
    changed = rubric()
    changed["criteria"][0]["options"].pop()
    write(created / "changed.json", json.dumps(changed))
    before = row_counts(db)
    result = run(
        "items", "update", "--course", "c", "--item", "i", "--rubric", created / "changed.json"
    )
    assert result.exit_code == 2
    assert "error: rubric: item c/i is published and has trained classifiers" in result.output
    assert row_counts(db) == before


def test_draft_rubric_change_after_training_warns(run, created, db):
    runtime = Runtime(db.settings, task_queue=InProcessTaskQueue())
    runtime.client.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()
    runtime.close()
    changed = rubric()
    changed["criteria"][0]["options"].pop()
    write(created / "changed.json", json.dumps(changed))
    result = run(
        "items", "update", "--course", "c", "--item", "i", "--rubric", created / "changed.json"
    )
    assert result.exit_code == 0
    assert "warning: item c/i: the rubric's criteria, options or points changed" in result.output


def test_grade_next_lists_the_queue_and_what_is_thin(run, created, db):
    for i in range(5):
        db.client.submit("c", "i", f"s{i}", essay(20 + 15 * i, i))
    result = run("grade-next", "--course", "c", "--item", "i", "--limit", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len([line for line in lines if "drawn at random" in line]) == 2
    assert "2 of 5 submissions not graded by staff (variety)" in result.output
    assert "ideas: poor 0, fair 0, good 0; 5 more essays at 'poor' would help most" in lines
    found = json.loads(run("grade-next", "--course", "c", "--item", "i", "--json").output)
    assert len(found["submissions"]) == 5


def test_results_csv_cannot_run_as_a_spreadsheet_formula(run, created, db):
    hostile = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A9)"]
    essays = "".join(
        json.dumps({"student_id": sid, "text": essay(30, i), "external_id": f"={i}"}) + "\n"
        for i, sid in enumerate(hostile)
    )
    write(created / "essays.jsonl", essays)
    assert run("submit", "--course", "c", "--item", "i", created / "essays.jsonl").exit_code == 0
    output = run("results", "--course", "c", "--item", "i").output
    rows = list(csv.DictReader(output.splitlines()))
    assert [r["student_id"] for r in rows] == ["'" + sid for sid in hostile]
    assert [r["external_id"] for r in rows] == [f"'={i}" for i in range(4)]
    # JSON Lines is not read as formulas: it keeps the values as they are.
    lines = run("results", "--course", "c", "--item", "i", "--format", "jsonl").output
    assert [json.loads(line)["student_id"] for line in lines.splitlines()] == hostile


def test_status_shows_unknown_queue_lengths_when_the_broker_does_not_answer(
    run, created, monkeypatch
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ESSAYGRADER_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    result = run("status")
    assert "queues    training ?, grading ?" in result.output
    shown = json.loads(run("status", "--json").output)
    assert shown["queues"] == {"training": None, "grading": None}
