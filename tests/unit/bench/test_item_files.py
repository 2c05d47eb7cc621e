"""An ASAP prompt as a user's item files, and the agreement of exported results."""

from __future__ import annotations

import pytest

from essaygrader.bench.datasets import BenchmarkDataError
from essaygrader.bench.item_files import agreement, asap_rubric
from essaygrader.domain.rubric import Rubric


def test_prompt_8_is_a_rubric_of_61_options_the_product_accepts():
    rubric = Rubric.from_dict(asap_rubric(8))
    assert rubric.criterion("score").valid_points == list(range(61))


def test_agreement_compares_results_with_the_human_scores_by_student(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("student_id,score\na,10\nb,20\nc,30\nd,40\n", encoding="utf-8")
    results = tmp_path / "results.csv"
    results.write_text(
        "student_id,status,score.option,score.points\n"
        "b,graded,24,24\na,graded,10,10\nc,graded,30,30\nd,waiting,,\n",
        encoding="utf-8",
    )
    figures = agreement(truth, results, 8)
    assert (figures.essays, figures.ungraded) == (3, 1)
    assert figures.exact == pytest.approx(2 / 3)
    assert figures.rmse == pytest.approx((16 / 3) ** 0.5)
    assert "3 essays compared (1 without a grade)" in figures.format()


def test_agreement_without_any_grade_says_so(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("student_id,score\na,10\n", encoding="utf-8")
    results = tmp_path / "results.csv"
    results.write_text("student_id,score.points\nb,3\n", encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="no essay"):
        agreement(truth, results, 8)
