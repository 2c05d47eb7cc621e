from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from essaygrader.algorithms.metrics import (
    adjacent_agreement,
    confusion_matrix,
    exact_agreement,
    quadratic_weighted_kappa,
    root_mean_squared_error,
)


def _reference_qwk(a: list[int], b: list[int], low: int, high: int) -> float | None:
    """Textbook QWK over the integer range low..high; None where it is undefined."""
    k = high - low + 1
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[x - low, y - low] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    chance = (weights * expected).sum()
    return None if chance == 0 else 1 - (weights * observed).sum() / chance


scores = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=60)


@given(scores)
def test_qwk_matches_the_textbook_formula(pairs: list[tuple[int, int]]) -> None:
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    reference = _reference_qwk(a, b, 0, 4)
    if reference is not None:
        assert quadratic_weighted_kappa(a, b, range(5)) == pytest.approx(reference)


def test_qwk_extremes() -> None:
    assert quadratic_weighted_kappa([1, 2, 3], [1, 2, 3]) == 1.0
    assert quadratic_weighted_kappa([0, 0, 4, 4], [4, 4, 0, 0], range(5)) < -0.9
    assert quadratic_weighted_kappa([2, 2], [2, 2]) == 1.0


def test_unused_labels_do_not_change_qwk_but_stray_scores_are_refused() -> None:
    a, b = [1, 2, 3, 2], [1, 3, 3, 2]
    assert quadratic_weighted_kappa(a, b) == pytest.approx(
        quadratic_weighted_kappa(a, b, range(0, 10))
    )
    with pytest.raises(ValueError, match="not among"):
        quadratic_weighted_kappa(a, b, [1, 2])


def test_non_contiguous_points_weigh_by_value() -> None:
    truth = [0, 0, 5, 5]
    near = quadratic_weighted_kappa(truth, [2, 0, 5, 5], [0, 2, 5])
    far = quadratic_weighted_kappa(truth, [5, 0, 5, 5], [0, 2, 5])
    assert near > far


def test_agreement_and_confusion() -> None:
    truth, predicted = [0, 1, 2, 3], [0, 2, 2, 0]
    assert exact_agreement(truth, predicted) == 0.5
    assert adjacent_agreement(truth, predicted, range(4)) == 0.75
    assert adjacent_agreement([0, 5], [2, 2], [0, 2, 5]) == 1.0
    matrix = confusion_matrix(truth, predicted, range(4))
    assert matrix.tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0]]
    with pytest.raises(ValueError, match="predictions"):
        exact_agreement([1], [1, 2])


def test_rmse_is_in_points() -> None:
    assert root_mean_squared_error([10, 20, 30, 40], [10, 20, 30, 40]) == 0.0
    # Errors of 0, 0, 3 and 4 points: sqrt(25 / 4).
    assert root_mean_squared_error([10, 20, 30, 40], [10, 20, 33, 36]) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="predictions"):
        root_mean_squared_error([1], [1, 2])
    with pytest.raises(ValueError, match="no scores"):
        root_mean_squared_error([], [])
