from __future__ import annotations

import numpy as np

from essaygrader.algorithms.ridge import GramDecomposition, fit_ridge_loo
from essaygrader.algorithms.stacking import blend_weights


def test_blend_weights_are_non_negative_sum_to_one_and_find_the_better_model() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, size=400).astype(np.float64)
    good = targets + rng.normal(0, 0.3, size=400)
    poor = targets + rng.normal(0, 1.5, size=400)
    anti = -targets
    weights = blend_weights(np.column_stack([poor, good, anti]), targets)
    assert np.all(weights >= 0.0)
    assert abs(weights.sum() - 1.0) < 1e-12
    assert weights[1] > 0.8
    assert weights[2] < 0.05


def test_thin_decomposition_gives_the_same_leave_one_out_ridge_as_the_gram_matrix() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(120, 6))
    targets = features @ rng.normal(size=6) + rng.normal(0, 0.5, size=120)
    thin = fit_ridge_loo(GramDecomposition.of_features(features), targets)
    full = fit_ridge_loo(GramDecomposition.of(features @ features.T), targets)
    assert np.isclose(thin.alpha, full.alpha)
    assert np.allclose(thin.loo_predictions, full.loo_predictions)
    assert np.allclose(features.T @ thin.dual, features.T @ full.dual)
