"""``essaygrader tokens`` on the local database, and what ``serve`` does before serving."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from essaygrader.cli.demo import COURSE_ID, ITEM_ID
from essaygrader.cli.main import cli
from essaygrader.cli.serve import announce_first_token, load_example_if_empty
from essaygrader.config import Settings
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.conftest import row_counts
from tests.factories import RUBRIC


@pytest.fixture
def env(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ESSAYGRADER_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def db(env):
    runtime = Runtime(Settings.load(), task_queue=InProcessTaskQueue())
    yield runtime
    runtime.close()


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_create_list_and_revoke(env, db):
    created = run(
        "tokens",
        "create",
        "--name",
        "LMS",
        "--role",
        "platform",
        "--course",
        "c2",
        "--course",
        "c1",
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("eg_")
    assert "cannot be shown again" in created.stderr
    assert db.tokens.authenticate(token).courses == {"c1", "c2"}
    listed = run("tokens", "list")
    assert token not in listed.output
    (header, row) = listed.output.splitlines()
    assert header.split() == ["id", "name", "role", "courses", "created", "revoked"]
    token_id = row.split()[0]
    assert row.split()[1:4] == ["LMS", "platform", "c1,c2"]
    revoked = run("tokens", "revoke", token_id)
    assert revoked.output == f"revoked token {token_id} (LMS)\n"
    assert run("tokens", "list").output.splitlines()[1:] == []
    assert token_id in run("tokens", "list", "--all").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "staff"], "error: courses: staff tokens need at least one course"),
        (
            ["--role", "admin", "--course", "c"],
            "error: courses: admin tokens are not limited to courses",
        ),
    ],
)
def test_invalid_tokens_store_nothing(env, db, args, message):
    before = row_counts(db)
    result = run("tokens", "create", "--name", "x", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert row_counts(db) == before


def test_revoking_an_unknown_token(env, db):
    result = run("tokens", "revoke", "nope")
    assert result.exit_code == 2
    assert "no token 'nope'" in result.output


def test_the_first_admin_token_is_printed_once(db, capsys):
    announce_first_token(db)
    first = capsys.readouterr().out
    token = next(line.strip() for line in first.splitlines() if line.strip().startswith("eg_"))
    assert db.tokens.authenticate(token).role.value == "admin"
    announce_first_token(db)
    assert capsys.readouterr().out == ""
    assert len(db.tokens.list_tokens()) == 1


def test_the_example_item_loads_only_into_an_empty_database(db, capsys):
    load_example_if_empty(db)
    assert "loaded the example item" in capsys.readouterr().out
    submissions = db.client.list_submissions(COURSE_ID, ITEM_ID)
    assert submissions["total"] == 12
    assert {s["status"] for s in submissions["submissions"]} == {"waiting"}
    db.task_queue.join()
    assert db.client.status(COURSE_ID, ITEM_ID)["workflows"]["grade"]["complete"] == 12
    before = row_counts(db)
    load_example_if_empty(db)
    assert row_counts(db) == before


def test_no_example_is_loaded_beside_other_items(db, capsys):
    db.client.create_item("c", "i", RUBRIC)
    load_example_if_empty(db)
    assert capsys.readouterr().out == ""
    assert db.client.list_items()["total"] == 1
