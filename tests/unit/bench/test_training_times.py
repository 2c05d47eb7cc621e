"""``essaygrader bench training``: per-criterion training time on real essays."""

from __future__ import annotations

import re

from click.testing import CliRunner

from essaygrader.cli.main import cli
from tests.unit.bench.test_accuracy_smoke import _shared_data


def _run(*args: str):
    data = _shared_data()
    return CliRunner().invoke(cli, ["bench", "training", "--data", str(data / "asap"), *args])


def test_bench_training_times_each_criterion_of_the_rubric():
    result = _run("--algorithm", "fake", "--essays", "300", "--criteria", "2", "--prompts", "3")
    assert result.exit_code == 0, result.output
    assert "fake: 2 criteria on 300 essays (ASAP prompts 3), one shared feature cache" in (
        result.output
    )
    times = re.findall(r"criterion (\d)\s+([\d.]+) s", result.output)
    assert [number for number, _ in times] == ["1", "2"]
    assert all(float(seconds) >= 0 for _, seconds in times)


def test_bench_training_says_when_the_prompts_hold_too_few_essays():
    result = _run("--algorithm", "fake", "--essays", "100000", "--prompts", "3")
    assert result.exit_code != 0
    assert "fewer than 100000" in result.output
