"""The learning-curve table's paired comparison of grade-next with random."""

from __future__ import annotations

import pytest

from essaygrader.bench.grade_next import CurveResult, format_curves, paired_difference


def _result() -> CurveResult:
    result = CurveResult([1, 3], [0, 1], "default")
    result.qwk[(1, "random")] = [[0.5, 0.60, 0.70], [0.5, 0.62, 0.70]]
    result.qwk[(1, "grade-next")] = [[0.5, 0.63, 0.72], [0.5, 0.61, 0.71]]
    result.qwk[(3, "random")] = [[0.4, 0.50, 0.60], [0.4, 0.50, 0.60]]
    result.qwk[(3, "grade-next")] = [[0.4, 0.52, 0.60], [0.4, 0.49, 0.62]]
    return result


def test_the_arms_are_compared_pair_by_pair():
    mean, error, ahead, pairs = paired_difference(_result())
    assert pairs == 4
    assert mean == pytest.approx([0.0, 0.0075, 0.0125])
    # differences at 100: +0.03, -0.01, +0.02, -0.01
    assert error[1] == pytest.approx(0.0206155 / 2, rel=1e-4)
    assert error[0] == 0.0
    assert ahead == [0, 2, 3]


def test_the_table_prints_the_paired_difference_per_step():
    table = format_curves(_result())
    assert "at 100: +0.0075 +/- 0.0103, ahead in 2 of 4" in table
    assert "at 200: +0.0125" in table
