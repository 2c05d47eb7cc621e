"""``essaygrader --server URL --token T``: the client-side commands act on a remote
service over HTTP, with the token's access, and the local-only commands refuse."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli
from essaygrader.config import Settings
from essaygrader.runtime import Runtime
from essaygrader.web.app import create_app
from tests.factories import RUBRIC, essay, examples
from tests.integration.live_server import LiveServer, ThreadedTaskQueue

pytestmark = pytest.mark.integration


@pytest.fixture
def service(tmp_path) -> Iterator[tuple[LiveServer, Runtime]]:
    queue = ThreadedTaskQueue()
    runtime = Runtime(Settings(data_dir=tmp_path / "server"), task_queue=queue)
    queue.start()
    server = LiveServer(create_app(runtime)).start()
    yield server, runtime
    server.stop()
    queue.stop()
    runtime.close()


@pytest.fixture
def run(tmp_path, monkeypatch):
    # The command line must not find a local database: everything goes over HTTP.
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "client-side"))
    monkeypatch.chdir(tmp_path)

    def invoke(*args, env=None):
        return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


def write_files(folder):
    (folder / "rubric.json").write_text(json.dumps(RUBRIC), encoding="utf-8")
    with (folder / "examples.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "ideas", "conventions"])
        for e in examples(30):
            writer.writerow(
                [e["text"], e["options_selected"]["ideas"], e["options_selected"]["conventions"]]
            )
    with (folder / "essays.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "text"])
        for i in range(3):
            writer.writerow([f"s{i}", essay(20 + 40 * i, i)])


def test_the_commands_work_on_a_remote_service(service, run, tmp_path):
    server, runtime = service
    staff = runtime.tokens.create_token("staff", "staff", ["c"])["token"]
    platform = runtime.tokens.create_token("platform", "platform", ["c"])["token"]
    write_files(tmp_path)
    remote = ["--server", server.url, "--token", staff]

    created = run(
        *remote,
        "items",
        "create",
        "--course",
        "c",
        "--item",
        "i",
        "--rubric",
        tmp_path / "rubric.json",
    )
    assert created.exit_code == 0, created.output
    assert runtime.client.get_item("c", "i")["rubric"] == RUBRIC
    trained = run(
        *remote,
        "train",
        "--course",
        "c",
        "--item",
        "i",
        "--examples",
        tmp_path / "examples.csv",
        "--wait",
    )
    assert trained.exit_code == 0, trained.output
    assert "training complete: classifier set" in trained.output
    assert "starting a worker" not in trained.output  # the service runs its own

    # Submitting is the platform's: with the environment variables instead of options.
    env = {"ESSAYGRADER_SERVER": server.url, "ESSAYGRADER_TOKEN": platform}
    submitted = run(
        "submit", "--course", "c", "--item", "i", tmp_path / "essays.csv", "--wait", env=env
    )
    assert submitted.exit_code == 0, submitted.output
    assert "grading: 3 complete" in submitted.output

    results = run(*remote, "results", "--course", "c", "--item", "i", "--format", "jsonl")
    rows = [json.loads(line) for line in results.output.splitlines()]
    assert [r["student_id"] for r in rows] == ["s0", "s1", "s2"]
    assert all(r["status"] == "complete" for r in rows)
    status = run(*remote, "status", "--course", "c", "--json")
    assert json.loads(status.output)["workflows"]["grade"]["complete"] == 3
    rescheduled = run(*remote, "reschedule", "--course", "c")
    assert "rescheduled 0 training and 0 grading tasks" in rescheduled.output
    listed = run(*remote, "items", "list")
    assert listed.output.splitlines() == ["c/i\tdraft"]

    # The token's limits hold on the command line too.
    denied = run(
        "--server", server.url, "--token", platform, "items", "show", "--course", "c", "--item", "i"
    )
    assert denied.exit_code == 2
    assert "a platform token cannot read items" in denied.output
    foreign = run(*remote, "items", "show", "--course", "other", "--item", "i")
    assert foreign.exit_code == 2
    assert "does not reach course 'other'" in foreign.output
    bad_rows = tmp_path / "bad.csv"
    bad_rows.write_text("text,ideas,conventions\nSome essay.,great,few errors\n", encoding="utf-8")
    located = run(*remote, "train", "--course", "c", "--item", "i", "--examples", bad_rows)
    assert located.exit_code == 2
    assert "error: " in located.output


def test_local_only_commands_refuse_a_server(run):
    for command in (["init"], ["tokens", "list"], ["sweep"], ["serve"], ["demo"], ["worker"]):
        result = run("--server", "http://127.0.0.1:9", "--token", "t", *command)
        assert result.exit_code == 2, command
        assert "run it without --server" in result.output, command
    missing = run("--server", "http://127.0.0.1:9", "status")
    assert missing.exit_code == 2
    assert "--server needs --token" in missing.output


def test_an_unreachable_server_is_one_line(run):
    result = run("--server", "http://127.0.0.1:9", "--token", "t", "status")
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach essaygrader at http://127.0.0.1:9")
