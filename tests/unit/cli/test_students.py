"""Students' data from the command line: erase a student (after confirming), purge old
essay texts, read the audit log."""

from __future__ import annotations

import json

from click.testing import CliRunner

from essaygrader.cli.main import cli
from tests.factories import essay
from tests.unit.cli.conftest import write


def test_erase_a_student_then_read_the_audit_log(run, created, db):
    write(
        created / "essays.jsonl",
        "".join(
            json.dumps({"student_id": sid, "text": essay(30, i)}) + "\n"
            for i, sid in enumerate(["s1", "s1", "s2"])
        ),
    )
    assert run("submit", "--course", "c", "--item", "i", created / "essays.jsonl").exit_code == 0
    refused = CliRunner().invoke(
        cli, ["erase-student", "--course", "c", "--student", "s1"], input="n\n"
    )
    assert refused.exit_code == 1
    assert db.client.list_submissions("c", "i")["total"] == 3
    confirmed = CliRunner().invoke(
        cli, ["erase-student", "--course", "c", "--student", "s1"], input="y\n"
    )
    assert confirmed.exit_code == 0, confirmed.output
    assert "erased 2 submissions" in confirmed.output
    assert db.client.list_submissions("c", "i")["total"] == 1
    log = run("audit", "--course", "c")
    assert "student_erased" in log.output
    assert "command line (" in log.output
    found = json.loads(run("audit", "--course", "c", "--student", "s1", "--json").output)
    assert found["total"] == 1
    assert "s1" not in json.dumps(found["audit_records"])


def test_purge_texts_needs_a_period_and_keeps_scores(run, created, db):
    result = run("purge-texts")
    assert result.exit_code == 2
    assert "retention period" in result.output
    assert run("purge-texts", "--older-than-days", "30").output.startswith(
        "purged the texts of 0 graded essays"
    )
    # Nothing was purged, so nothing was recorded.
    assert "texts_purged" not in run("audit").output
