"""What a newcomer meets on the command line: where the data is, uuids to follow, files
from European spreadsheets, every bad row at once, and messages that read right."""

from __future__ import annotations

import json

from click.testing import CliRunner

from essaygrader.cli.main import cli
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.conftest import row_counts
from tests.factories import essay, examples
from tests.unit.cli.conftest import example_rows, write, write_examples


def test_status_says_which_database_it_reads(run, created):
    output = run("status").output
    assert output.splitlines()[0].startswith("database ")


def test_reading_commands_do_not_create_an_empty_data_directory(tmp_path, monkeypatch):
    for name in ("ESSAYGRADER_DATABASE_URL", "ESSAYGRADER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "nowhere"))
    runner = CliRunner()
    for args in (["items", "list"], ["status"], ["results", "--course", "c", "--item", "i"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert f"error: no essaygrader data: the data directory {tmp_path / 'nowhere'}" in (
            result.output
        )
        assert "essaygrader init" in result.output
        assert not (tmp_path / "nowhere").exists()
    made = runner.invoke(cli, ["init"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(cli, ["items", "list"]).exit_code == 0
    status = runner.invoke(cli, ["status"]).output
    assert f"database  {tmp_path / 'nowhere' / 'essaygrader.db'}" in status


def test_ids_the_http_api_cannot_address_are_refused(run, created, db):
    before = row_counts(db)
    result = run(
        "items", "create", "--course", "c", "--item", "unit/1", "--rubric", created / "rubric.json"
    )
    assert result.exit_code == 2
    assert "error: item_id: must not contain '/' or be '.' or '..'" in result.output
    assert row_counts(db) == before


def test_submit_json_and_results_show_the_workflow_uuids(run, created, db):
    write(created / "essays.csv", f"student_id,text\ns1,{essay(30)}\ns2,{essay(40)}\n")
    result = run("submit", "--course", "c", "--item", "i", "--json", created / "essays.csv")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["student_id"] for line in lines] == ["s1", "s2"]
    assert {"submission_uuid", "grading_workflow_uuid", "status"} <= set(lines[0])
    results = run("results", "--course", "c", "--item", "i").output.splitlines()
    assert results[0].startswith("submission_uuid,grading_workflow_uuid,student_id")
    assert lines[0]["grading_workflow_uuid"] in results[1]
    # `workflow` takes a submission's uuid too, and shows its grading workflow.
    shown = json.loads(run("workflow", lines[1]["submission_uuid"]).output)
    assert shown["uuid"] == lines[1]["grading_workflow_uuid"]
    assert shown["type"] == "grade"


def test_one_essay_reads_as_one(run, created):
    write(created / "one.csv", f"student_id,text\ns1,{essay(30)}\n")
    result = run("submit", "--course", "c", "--item", "i", created / "one.csv")
    assert "submitted 1 essay; 1 waits for the item's classifiers" in result.output


def test_a_semicolon_separated_file_trains(run, created):
    rows = example_rows()
    lines = ["text;ideas;conventions"] + [
        f'"{r["text"]}";{r["ideas"]};{r["conventions"]}' for r in rows
    ]
    write(created / "graded.csv", "\n".join(lines) + "\n")
    result = run("train", "--course", "c", "--item", "i", "--examples", created / "graded.csv")
    assert result.exit_code == 0, result.output
    assert f"({'fake'}, {len(rows)} examples)" in result.output


def test_every_bad_example_is_reported_with_its_line(run, created, db):
    rows = example_rows(40)
    for index in range(0, 30):
        rows[index]["ideas"] = "superb"
    rows[35]["text"] = " "
    write_examples(created / "graded.csv", rows)
    before = row_counts(db)
    result = run("train", "--course", "c", "--item", "i", "--examples", created / "graded.csv")
    assert result.exit_code == 2
    assert "graded.csv: 31 problems, so nothing was stored" in result.output
    assert "  line 2, column 'ideas': unknown option 'superb'" in result.output
    assert "line 37, column 'text'" not in result.output  # past the 20 shown
    assert "  and 11 more" in result.output
    assert row_counts(db) == before


def test_status_of_an_unknown_course(run, created):
    result = run("status", "--course", "nope")
    assert result.exit_code == 2
    assert "error: course_id: unknown course 'nope'" in result.output


def test_results_to_a_file_say_where_they_went(run, created):
    result = run("results", "--course", "c", "--item", "i", "-o", created / "out.csv")
    assert result.exit_code == 0
    assert f"wrote 0 results to {created / 'out.csv'}" in result.output


def test_click_errors_use_the_same_prefix(run, created):
    result = run("results", "--course", "c")
    assert result.exit_code == 2
    assert "error: Missing option '--item'" in result.output
    assert "Error:" not in result.output


def test_a_training_that_failed_its_quality_gate_is_not_retrained(run, created, db):
    db.client.update_item("c", "i", min_qwk=0.9)
    # Grades that do not follow the essays' lengths, which is all the fake algorithm sees.
    noisy = examples(30)
    for i, example in enumerate(noisy):
        example["options_selected"] = {
            "ideas": ("poor", "fair", "good")[i // 3 % 3],
            "conventions": ("many errors", "few errors")[i // 2 % 2],
        }
    runtime = Runtime(db.settings, task_queue=InProcessTaskQueue())
    runtime.client.train_classifiers("c", "i", noisy)
    runtime.task_queue.join()
    failed = runtime.client.list_training_workflows("c", "i")["training_workflows"][0]
    assert failed["status"] == "failed"
    assert "quality gate" in failed["last_error"]
    runtime.close()

    result = run("reschedule", "--course", "c", "--item", "i", "--type", "train")
    assert result.exit_code == 0
    assert "rescheduled 0 training" in result.output
    assert "not retrained: 1 training failed the item's quality gate" in result.output
    assert "would fail it again on the same examples" in result.output
    again = db.client.list_training_workflows("c", "i")["training_workflows"][0]
    assert again["status"] == "failed"

    # With a lower gate the same examples may pass: then it is retrained.
    db.client.update_item("c", "i", min_qwk=-1.0)
    result = run("reschedule", "--course", "c", "--item", "i", "--type", "train")
    assert "rescheduled 1 training" in result.output
    assert "not retrained" not in result.output


def test_rubric_errors_name_the_file_once(run, created):
    write(created / "bad.json", '{"criteria": [')
    result = run(
        "items", "create", "--course", "c", "--item", "x", "--rubric", created / "bad.json"
    )
    line = next(line for line in result.output.splitlines() if line.startswith("error:"))
    assert line.count("bad.json") == 1
    missing = run(
        "items", "create", "--course", "c", "--item", "x", "--rubric", created / "none.json"
    )
    line = next(line for line in missing.output.splitlines() if line.startswith("error:"))
    assert line.count("none.json") == 1
    assert "rubric rubric" not in line
    assert "rubric: rubric" not in line
