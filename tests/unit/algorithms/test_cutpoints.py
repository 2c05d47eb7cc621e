from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from essaygrader.algorithms.cutpoints import (
    apply_cutpoints,
    fit_cutpoints,
    fit_cutpoints_bagged,
    initial_cutpoints,
    truncation_cutpoints,
)
from essaygrader.algorithms.metrics import quadratic_weighted_kappa

point_sets = st.lists(st.integers(-3, 12), min_size=2, max_size=6, unique=True).map(sorted)


@settings(max_examples=60, deadline=None)
@given(point_sets, st.integers(0, 2**31 - 1))
def test_fitted_cutpoints_map_to_valid_points_and_beat_rounding(
    points: list[int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    targets = rng.choice(points, size=80)
    predictions = 0.6 * targets + 0.4 * np.mean(points) + rng.normal(0, 1.0, size=80)
    cuts = fit_cutpoints(predictions, targets.tolist(), points)
    assert np.all(np.diff(cuts) > 0)
    mapped = apply_cutpoints(predictions, cuts, points)
    assert set(mapped.tolist()) <= set(points)
    rounded = apply_cutpoints(predictions, initial_cutpoints(points), points)
    fitted_qwk = quadratic_weighted_kappa(targets.tolist(), mapped.tolist(), points)
    rounded_qwk = quadratic_weighted_kappa(targets.tolist(), rounded.tolist(), points)
    assert fitted_qwk >= rounded_qwk - 1e-9


def test_cutpoints_undo_shrinkage_towards_the_mean() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 5, size=500)
    shrunk = 2.0 + 0.4 * (targets - 2.0) + rng.normal(0, 0.2, size=500)
    cuts = fit_cutpoints(shrunk, targets.tolist(), range(5))
    mapped = apply_cutpoints(shrunk, cuts, range(5))
    assert quadratic_weighted_kappa(targets.tolist(), mapped.tolist(), range(5)) > 0.9
    rounded = apply_cutpoints(shrunk, initial_cutpoints(range(5)), range(5))
    assert set(rounded.tolist()) <= {1, 2, 3}
    assert set(mapped.tolist()) == {0, 1, 2, 3, 4}


def test_extreme_predictions_land_on_the_end_points() -> None:
    cuts = fit_cutpoints(np.array([0.0, 1.0, 2.0]), [0, 2, 5], [0, 2, 5])
    assert apply_cutpoints(np.array([-1e9, 1e9]), cuts, [0, 2, 5]).tolist() == [0, 5]


def test_bagged_cutpoints_are_reproducible_increasing_and_undo_shrinkage() -> None:
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 5, size=300)
    shrunk = 2.0 + 0.4 * (targets - 2.0) + rng.normal(0, 0.3, size=300)
    cuts = fit_cutpoints_bagged(shrunk, targets, range(5), resamples=10, seed=3)
    again = fit_cutpoints_bagged(shrunk, targets, range(5), resamples=10, seed=3)
    assert np.array_equal(cuts, again)
    assert np.all(np.diff(cuts) > 0)
    mapped = apply_cutpoints(shrunk, cuts, range(5))
    assert quadratic_weighted_kappa(targets.tolist(), mapped.tolist(), range(5)) > 0.8
    assert np.array_equal(
        fit_cutpoints_bagged(shrunk, targets, range(5), resamples=0),
        fit_cutpoints(shrunk, targets.tolist(), range(5)),
    )


def _truncate_then_snap(prediction: float, points: list[int]) -> int:
    whole = int(prediction)
    return min(points, key=lambda p: (abs(p - whole), p))


@settings(max_examples=60, deadline=None)
@given(
    point_sets,
    st.lists(
        st.one_of(st.floats(-20, 20), st.integers(-20, 20).map(float)), min_size=1, max_size=30
    ),
)
def test_truncation_cutpoints_act_as_int_then_nearest_point(
    points: list[int], predictions: list[float]
) -> None:
    mapped = apply_cutpoints(np.array(predictions), truncation_cutpoints(points), points)
    assert mapped.tolist() == [_truncate_then_snap(x, points) for x in predictions]


def test_truncation_scores_lower_than_rounding_just_below_a_point() -> None:
    points = [1, 2, 3, 4, 5, 6]
    predictions = np.array([1.9, 2.5, 3.99, 6.4, 0.2])
    assert apply_cutpoints(predictions, truncation_cutpoints(points), points).tolist() == [
        1, 2, 3, 6, 1,
    ]  # fmt: skip
    assert apply_cutpoints(predictions, initial_cutpoints(points), points).tolist() == [
        2, 3, 4, 6, 1,
    ]  # fmt: skip
