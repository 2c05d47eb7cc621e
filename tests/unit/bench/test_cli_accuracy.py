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


def test_bench_accuracy_runs_the_standard_trait_protocol_on_dev_ids(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        cli,
        [
            "bench", "accuracy", "--data", str(data / "asap"), "--algorithms", "fake",
            "--prompts", "3", "--folds", "0", "--split", "dev", "--traits-only",
            "--traits", str(data / "asap-traits"), "--json", str(out),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "train on train ids, score dev ids" in result.output
    assert "Trait RMSE in points" in result.output
    assert "ASAP++ trait QWK (train file, dev file" in result.output
    assert "ASAP QWK" not in result.output
    figures = json.loads(out.read_text())
    traits = {f["trait"] for f in figures["trait_protocol"]["figures"]}
    assert traits == {"overall", "content", "prompt adherence", "language", "narrativity"}


def test_bench_item_files_writes_prompt_8_on_its_0_60_scale(tmp_path):
    data = _shared_data()
    result = CliRunner().invoke(
        cli,
        ["bench", "item-files", "--data", str(data / "asap"), "--prompt", "8",
         "--out", str(tmp_path / "p8")],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a rubric of 61 options, 578 graded examples, 145 essays to grade" in result.output
    rubric = json.loads((tmp_path / "p8" / "rubric.json").read_text())
    assert len(rubric["criteria"][0]["options"]) == 61
