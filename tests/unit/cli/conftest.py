"""What the command-line tests share: a data directory and database per test, the
command runner, and files to feed it."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli
from essaygrader.config import Settings
from essaygrader.runtime import Runtime
from tests.factories import RUBRIC, examples


@pytest.fixture
def env(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ESSAYGRADER_DATABASE_URL", database_url)
    monkeypatch.setenv("ESSAYGRADER_DEFAULT_ALGORITHM", "fake")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def run(env):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def db(env):
    runtime = Runtime(Settings.load())
    yield runtime
    runtime.close()


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def write_examples(path, rows, columns=("text", "ideas", "conventions")):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def example_rows(count=30):
    return [{"text": e["text"], **e["options_selected"]} for e in examples(count)]


@pytest.fixture
def created(run, env):
    write(env / "rubric.json", json.dumps(RUBRIC))
    write(env / "prompt.txt", "Write a letter.")
    result = run(
        "items",
        "create",
        "--course",
        "c",
        "--item",
        "i",
        "--rubric",
        env / "rubric.json",
        "--prompt-file",
        env / "prompt.txt",
    )
    assert result.exit_code == 0, result.output
    return env
