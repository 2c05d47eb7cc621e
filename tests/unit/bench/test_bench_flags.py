"""``essaygrader bench flags`` and ``bench grade-next`` on a slice of the real data."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli
from tests.unit.bench.test_accuracy_smoke import _shared_data

pytestmark = pytest.mark.slow
LIST_OFF_TOPIC = ("--list-false", "off_topic")


def test_bench_flags_prints_false_and_caught_rates_per_flag(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(
        cli,
        ["bench", "flags", "--data", str(data / "asap"), "--prompts", "6"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for code in ("too_short", "not_text", "duplicate", "copied_prompt", "off_topic"):
        false_rate, caught = [line for line in lines if line.startswith(code)]
        assert float(false_rate.split()[-1].rstrip("%")) <= 1.0, false_rate
        assert float(caught.split()[-1].rstrip("%")) >= 95.0, caught


def test_bench_flags_sums_the_folds_it_is_given(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    outputs = {}
    for folds in ("1", "2", "1,2"):
        result = CliRunner().invoke(
            cli,
            ["bench", "flags", "--data", str(data / "asap"), "--prompts", "3", "--folds", folds],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        outputs[folds] = result.output
    assert "fold 1,2:" in outputs["1,2"]
    assert "cases per flag and prompt: 200" in outputs["1,2"]
    real = {
        folds: int(out.split("real essays: ")[1].split(";")[0]) for folds, out in outputs.items()
    }
    assert real["1,2"] == real["1"] + real["2"]


def test_bench_grade_next_prints_both_learning_curves(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(
        cli,
        [
            "bench",
            "grade-next",
            "--data",
            str(data / "asap"),
            "--prompts",
            "3",
            "--seeds",
            "0",
            "--algorithm",
            "fake",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    curves, paired = result.output.split("chosen by")[1].split("grade-next - random, paired")
    table = curves.splitlines()[1:]
    rows = {" ".join(line.split()[:2]): line.split()[2:] for line in table if line.strip()}
    assert "at 100:" in paired
    assert "ahead in 0 of 1" in paired  # the first step is the same draw in both arms
    assert set(rows) == {"P3 random", "P3 grade-next", "mean random", "mean grade-next"}
    assert all(
        len(values) == 3 and all(-1 <= float(v) <= 1 for v in values) for values in rows.values()
    )


def test_bench_grade_next_offers_every_chooser_and_defaults_to_the_apis():
    from essaygrader.bench.grade_next import CHOOSERS

    command = cli.commands["bench"].commands["grade-next"]
    (strategy,) = [p for p in command.params if p.name == "strategy"]
    # The CLI lists the choosers by hand (it imports the bench lazily): they must agree.
    assert list(strategy.type.choices) == list(CHOOSERS)
    assert strategy.default == "mixed"


def test_bench_flags_offers_every_flag_code_to_list():
    from essaygrader.algorithms.flags.checks import FLAG_CODES

    command = cli.commands["bench"].commands["flags"]
    (list_false,) = [p for p in command.params if p.name == "list_false"]
    # The CLI lists the codes by hand (it imports the flags lazily): they must agree.
    assert list(list_false.type.choices) == list(FLAG_CODES)


def test_bench_flags_lists_the_real_essays_it_counted_as_falsely_flagged(tmp_path, monkeypatch):
    data = _shared_data()
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(
        cli,
        ["bench", "flags", "--data", str(data / "asap"), "--prompts", "3", *LIST_OFF_TOPIC],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    table, listing = result.output.split("real essays flagged off_topic: ")
    real = int(table.split("real essays: ")[1].split(";")[0])
    rate = float(
        next(line for line in table.splitlines() if line.startswith("off_topic"))
        .split()[-1]
        .rstrip("%")
    )
    count = int(listing.splitlines()[0])
    rows = [line for line in listing.splitlines()[2:] if line.strip()]
    assert count > 0
    assert len(rows) == count == round(rate * real / 100)
    for row in rows:
        prompt, fold, essay, score = row.split()[:4]
        assert (prompt, fold) == ("P3", "0")
        assert int(essay) > 0
        assert score.endswith("/0-3")
        assert "unlike the item's graded essays" in row
