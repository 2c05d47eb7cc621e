"""``essaygrader bench accuracy`` on a slice of the real data, traits through the pipeline."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli
from tests.unit.bench.test_accuracy_smoke import _shared_data

pytestmark = pytest.mark.slow


def test_bench_accuracy_prints_and_writes_the_figures(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "accuracy",
            "--data",
            str(data / "asap"),
            "--algorithms",
            "fake",
            "--prompts",
            "3",
            "--folds",
            "0",
            "--no-speed",
            "--traits",
            str(data / "asap-plus-plus"),
            "--json",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "ASAP QWK, folds 0" in result.output
    assert "fake      P3  Content" in result.output
    figures = json.loads(out.read_text())
    fake = figures["algorithms"][0]
    assert fake["algorithm_id"] == "fake"
    # Word count alone agrees with the human scores well above chance on prompt 3.
    assert 0.2 < fake["prompt_qwk"]["3"] < 0.95
    assert set(fake["traits"]["3"]) == {"Content", "Prompt Adherence", "Language", "Narrativity"}


def test_bench_accuracy_refuses_bad_ranges(tmp_path):
    result = CliRunner().invoke(
        cli, ["bench", "accuracy", "--data", str(tmp_path), "--prompts", "0-9"]
    )
    assert result.exit_code == 2
    assert "choose from 1 to 8" in result.output
