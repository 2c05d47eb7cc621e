from __future__ import annotations

import numpy as np

from essaygrader.algorithms.ridge import GramDecomposition, fit_ridge_loo, fit_weighted_ridge_loo


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(80, 30))
    return features, features[:, 0] + rng.normal(size=80)


def test_equal_weights_give_the_plain_leave_one_out_ridge() -> None:
    features, targets = _data()
    gram = features @ features.T
    plain = fit_ridge_loo(GramDecomposition.of(gram), targets)
    weighted, _ = fit_weighted_ridge_loo(gram, targets, np.ones(80), np.ones(80, dtype=bool))
    assert weighted.alpha == plain.alpha
    np.testing.assert_allclose(weighted.loo_predictions, plain.loo_predictions, atol=1e-9)
    np.testing.assert_allclose(weighted.dual, plain.dual, atol=1e-9)


def test_a_weight_of_two_is_the_row_counted_twice() -> None:
    features, targets = _data()
    weights = np.ones(80)
    weights[:5] = 2.0
    fit, share = fit_weighted_ridge_loo(
        features @ features.T, targets, weights, np.ones(80, dtype=bool)
    )
    mean_row = features.T @ share
    primal = features.T @ fit.dual - mean_row * fit.dual.sum()
    twice = np.vstack([features, features[:5]])
    centred = twice - twice.mean(axis=0)
    repeated = np.concatenate([targets, targets[:5]])
    expected = np.linalg.solve(
        centred.T @ centred + fit.alpha * np.eye(30), centred.T @ (repeated - repeated.mean())
    )
    np.testing.assert_allclose(primal, expected, atol=1e-9)
    assert (
        abs(
            (fit.intercept_shift - mean_row @ primal)
            - (repeated.mean() - twice.mean(axis=0) @ expected)
        )
        < 1e-9
    )
