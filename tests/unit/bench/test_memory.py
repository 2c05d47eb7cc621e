"""``essaygrader bench memory``: a fresh process's memory with classifier sets loaded."""

from __future__ import annotations

import re

from click.testing import CliRunner

from essaygrader.cli.main import cli
from tests.unit.bench.test_accuracy_smoke import _shared_data


def test_bench_memory_prints_the_memory_of_a_process_holding_the_sets():
    data = _shared_data()
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "memory",
            "--data",
            str(data / "asap"),
            "--algorithm",
            "fake",
            "--prompts",
            "3,5",
            "--sets",
            "4",
            "--criteria",
            "2",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "4 x 2 criteria (from 2 trained models" in result.output
    found = re.search(
        r"(\d+) MiB before loading, (\d+) MiB loaded \(([\d.]+) MiB per set\), peak (\d+) MiB",
        result.output,
    )
    assert found, result.output
    baseline, loaded, _per_set, peak = (float(g) for g in found.groups())
    # A Python process with NumPy and scikit-learn imported holds tens of MiB at least.
    assert 20 < baseline <= loaded <= peak


def test_bench_memory_names_an_unknown_algorithm():
    data = _shared_data()
    result = CliRunner().invoke(
        cli, ["bench", "memory", "--data", str(data / "asap"), "--algorithm", "nope"]
    )
    assert result.exit_code != 0
    assert "unknown algorithm 'nope'" in result.output
