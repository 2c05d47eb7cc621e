from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from essaygrader.algorithms.cutpoints import (
    apply_cutpoints,
    fit_cutpoints,
    fit_cutpoints_bagged,
    fit_cutpoints_chosen,
    fit_cutpoints_stretch,
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


def _shrunk(points: list[int], count: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    truth = rng.choice(points, count)
    centre = float(np.mean(points))
    return centre + 0.5 * (truth - centre) + rng.normal(0.0, noise, count), truth


def test_stretch_undoes_shrinkage_with_valid_points() -> None:
    points = list(range(0, 61))
    predictions, truth = _shrunk(points, 400, 3.0, seed=5)
    cutpoints = fit_cutpoints_stretch(predictions, truth, points)
    assert np.all(np.diff(cutpoints) > 0)
    stretched = apply_cutpoints(predictions, cutpoints, points)
    rounded = apply_cutpoints(predictions, initial_cutpoints(points), points)
    assert set(stretched.tolist()) <= set(points)
    assert quadratic_weighted_kappa(truth, stretched, points) > (
        quadratic_weighted_kappa(truth, rounded, points) + 0.05
    )
    # Shrunk by half: the stretch spreads predictions about twice as far.
    assert np.std(stretched) > 1.6 * np.std(rounded)


def test_a_wide_scale_with_few_essays_chooses_the_stretch() -> None:
    points = list(range(0, 61))
    predictions, truth = _shrunk(points, 300, 4.0, seed=6)
    rule, cutpoints = fit_cutpoints_chosen(predictions, truth, points, resamples=5)
    assert rule == "stretch"
    assert np.array_equal(cutpoints, fit_cutpoints_stretch(predictions, truth, points))


def test_unevenly_spaced_levels_choose_free_thresholds() -> None:
    # Levels 0, 1 and 2 sit close together, 3 far away: no affine stretch of rounding
    # separates them, thresholds placed one by one do.
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 4, 800)
    predictions = np.array([0.0, 0.2, 0.4, 3.0])[truth] + rng.normal(0.0, 0.04, 800)
    rule, cutpoints = fit_cutpoints_chosen(predictions, truth, [0, 1, 2, 3], resamples=5)
    assert rule == "bagged"
    mapped = apply_cutpoints(predictions, cutpoints, [0, 1, 2, 3])
    assert quadratic_weighted_kappa(truth, mapped, [0, 1, 2, 3]) > 0.95


def test_two_point_values_keep_the_bagged_threshold() -> None:
    predictions, truth = _shrunk([0, 1], 100, 0.2, seed=8)
    rule, cutpoints = fit_cutpoints_chosen(predictions, truth, [0, 1], resamples=3, seed=1)
    assert rule == "bagged"
    assert np.array_equal(
        cutpoints, fit_cutpoints_bagged(predictions, truth, [0, 1], resamples=3, seed=1)
    )
