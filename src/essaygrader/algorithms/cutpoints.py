"""From a continuous score to a rubric's point values, by cut-points fitted for QWK.

Regression models shrink towards the mean, so rounding their output under-uses the top
and bottom of the scale. Fitting the thresholds between consecutive point values on
out-of-fold predictions, to maximise quadratic weighted kappa against the true scores,
undoes that (+0.02 to +0.05 QWK on real essays). Every output is one of the valid points,
including values never earned in training and non-contiguous values such as 0, 2, 5.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from essaygrader.algorithms.metrics import quadratic_weights


def initial_cutpoints(valid_points: Sequence[int]) -> NDArray[np.float64]:
    """Thresholds halfway between consecutive point values: plain rounding."""
    values = np.asarray(sorted(set(valid_points)), dtype=np.float64)
    return (values[:-1] + values[1:]) / 2.0


def truncation_cutpoints(valid_points: Sequence[int]) -> NDArray[np.float64]:
    """Thresholds that truncate a prediction to an integer, then snap it to the nearest point.

    The first implementation scored EASE's regressions this way: Python's ``int()`` of the
    prediction (towards zero), then the nearest valid point, a tie going to the lower one.
    The integer ``t`` snaps up past the midpoint of two points; ``int(x) >= t`` holds for
    ``x >= t`` when ``t`` is positive and for ``x > t - 1`` otherwise.
    """
    values = np.asarray(sorted(set(valid_points)), dtype=np.float64)
    first_up = np.floor((values[:-1] + values[1:]) / 2.0) + 1.0
    return np.where(first_up > 0, first_up, np.nextafter(first_up - 1.0, np.inf))


def apply_cutpoints(
    predictions: NDArray[np.float64], cutpoints: NDArray[np.float64], valid_points: Sequence[int]
) -> NDArray[np.int64]:
    """The point value each continuous prediction falls into."""
    values = np.asarray(sorted(set(valid_points)), dtype=np.int64)
    return values[np.searchsorted(cutpoints, predictions, side="right")]


def fit_cutpoints(
    predictions: NDArray[np.float64],
    targets: Sequence[int] | NDArray[np.int64],
    valid_points: Sequence[int],
    *,
    passes: int = 4,
) -> NDArray[np.float64]:
    """Thresholds that maximise QWK of ``predictions`` against ``targets``.

    Coordinate ascent: each threshold in turn moves to the best place between its
    neighbours, evaluated exactly for every distinct position at once from cumulative
    sums, so a pass costs a sort, not a QWK computation per candidate.

    Args:
        predictions: Continuous out-of-fold predictions on the point scale.
        targets: The true points, aligned with ``predictions``.
        valid_points: Every point value the criterion allows.
        passes: Rounds of coordinate ascent; it usually settles in two or three.

    Raises:
        ValueError: Lengths differ or a target is not a valid point.
    """
    values = sorted(set(valid_points))
    cutpoints = initial_cutpoints(values)
    pred = np.asarray(predictions, dtype=np.float64)
    if len(pred) != len(targets):
        raise ValueError(f"{len(pred)} predictions but {len(targets)} targets")
    if len(values) < 2 or len(pred) == 0:
        return cutpoints
    rank = {v: i for i, v in enumerate(values)}
    try:
        true = np.array([rank[int(t)] for t in targets], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"target {exc.args[0]} is not among {values}") from exc
    weights = quadratic_weights(values)
    expected_by_column = weights.T @ np.bincount(true, minlength=len(values)) / len(pred)
    for _ in range(passes):
        before = cutpoints.copy()
        for k in range(len(cutpoints)):
            cutpoints[k] = _best_threshold(pred, true, cutpoints, k, weights, expected_by_column)
        if np.array_equal(before, cutpoints):
            break
    return cutpoints


def fit_cutpoints_bagged(
    predictions: NDArray[np.float64],
    targets: Sequence[int] | NDArray[np.int64],
    valid_points: Sequence[int],
    *,
    resamples: int = 20,
    seed: int = 0,
) -> NDArray[np.float64]:
    """:func:`fit_cutpoints` averaged over bootstrap resamples of the essays.

    The QWK-optimal place of a threshold is a noisy estimate: it is decided by the few
    essays near it, and thresholds next to rare point values move a long way when one
    of those essays changes. Averaging the thresholds fitted on the full sample and on
    ``resamples`` bootstrap resamples (bagging) makes them steadier.

    Args:
        predictions: Continuous out-of-fold predictions on the point scale.
        targets: The true points, aligned with ``predictions``.
        valid_points: Every point value the criterion allows.
        resamples: How many bootstrap resamples; 0 is plain :func:`fit_cutpoints`.
        seed: Seeds the resampling, so the thresholds are reproducible.

    Raises:
        ValueError: Lengths differ or a target is not a valid point.
    """
    pred = np.asarray(predictions, dtype=np.float64)
    true = np.asarray(targets, dtype=np.int64)
    fitted = [fit_cutpoints(pred, true, valid_points)]
    if len(pred) > 1:
        rng = np.random.default_rng(seed)
        for _ in range(resamples):
            rows = rng.integers(0, len(pred), len(pred))
            fitted.append(fit_cutpoints(pred[rows], true[rows], valid_points))
    # Each fit is increasing, so their mean is too; sorting guards against rounding.
    return np.sort(np.mean(fitted, axis=0))


def _best_threshold(
    pred: NDArray[np.float64],
    true: NDArray[np.int64],
    cutpoints: NDArray[np.float64],
    k: int,
    weights: NDArray[np.float64],
    expected_by_column: NDArray[np.float64],
) -> float:
    """Best position of threshold ``k`` (between classes k and k+1), the others fixed."""
    low = cutpoints[k - 1] if k > 0 else -np.inf
    high = cutpoints[k + 1] if k + 1 < len(cutpoints) else np.inf
    inside = (pred >= low) & (pred < high)
    if not inside.any():
        return float(cutpoints[k])
    assigned = np.searchsorted(cutpoints, pred, side="right")
    outside = ~inside
    observed_rest = weights[true[outside], assigned[outside]].sum()
    expected_rest = np.bincount(assigned[outside], minlength=len(weights)) @ expected_by_column
    order = np.argsort(pred[inside], kind="stable")
    window = pred[inside][order]
    window_true = true[inside][order]
    m = len(window)
    # Split j: the first j window items go to class k, the rest to class k + 1.
    to_k = np.concatenate(([0.0], np.cumsum(weights[window_true, k])))
    to_next = np.concatenate(([0.0], np.cumsum(weights[window_true, k + 1])))
    splits = np.arange(m + 1)
    observed = observed_rest + to_k + (to_next[-1] - to_next)
    expected = (
        expected_rest + splits * expected_by_column[k] + (m - splits) * expected_by_column[k + 1]
    )
    # Equal predictions cannot be separated: only splits between distinct values count.
    allowed = np.ones(m + 1, dtype=bool)
    allowed[1:m] = window[1:] > window[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(expected > 0, 1.0 - observed / expected, -np.inf)
    kappa[~allowed] = -np.inf
    best = np.flatnonzero(kappa >= kappa.max() - 1e-12)
    j = int(best[len(best) // 2])
    lower_edge = low if np.isfinite(low) else window[0] - 1.0
    upper_edge = high if np.isfinite(high) else window[-1] + 1.0
    below = window[j - 1] if j > 0 else lower_edge
    above = window[j] if j < m else upper_edge
    return float((below + above) / 2.0)
