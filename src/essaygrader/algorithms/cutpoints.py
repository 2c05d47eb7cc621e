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

from essaygrader.algorithms.metrics import (
    index_confusion,
    kappa_from_confusion,
    quadratic_weights,
)


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
    true = _ranks(targets, values, len(pred))
    if len(values) < 2 or len(pred) == 0:
        return cutpoints
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


# The stretch rule's search: a coarse grid of scales about the mean score and shifts in
# point steps, then a finer grid around the best coarse pair.
STRETCH_SCALES = (0.8, 2.5, 18)
STRETCH_SHIFTS = (-1.5, 1.5, 13)
STRETCH_REFINE = 9
# Bootstrap resamples of the bagged rule while the rules are compared on half samples.
CHOICE_RESAMPLES = 5


def fit_cutpoints_stretch(
    predictions: NDArray[np.float64],
    targets: Sequence[int] | NDArray[np.int64],
    valid_points: Sequence[int],
) -> NDArray[np.float64]:
    """Cut-points of plain rounding after the affine stretch that maximises QWK.

    Two parameters instead of one per threshold: a scale about the mean score, which
    undoes shrinkage, and a shift. With many point values and few essays on each, the
    thresholds of :func:`fit_cutpoints` each rest on a handful of essays; a stretch
    rests on all of them.

    Raises:
        ValueError: Lengths differ or a target is not a valid point.
    """
    values = sorted(set(valid_points))
    rounding = initial_cutpoints(values)
    pred = np.asarray(predictions, dtype=np.float64)
    true = _ranks(targets, values, len(pred))
    if len(values) < 2 or len(pred) == 0:
        return rounding
    centre = float(np.mean(np.asarray(values)[true]))
    step = float(np.median(np.diff(values)))
    weights = quadratic_weights(values)

    def stretched(scale: float, shift: float) -> NDArray[np.float64]:
        # Stretched, p reaches the rounding threshold r from p = centre + (r - centre
        # - shift) / scale.
        return np.asarray(centre + (rounding - centre - shift) / scale, dtype=np.float64)

    def search(scales: NDArray[np.float64], shifts: NDArray[np.float64]) -> tuple[float, float]:
        best, best_kappa = (1.0, 0.0), -np.inf
        for scale in scales:
            for shift in shifts:
                assigned = np.searchsorted(stretched(scale, shift), pred, side="right")
                kappa = _kappa(true, assigned, weights)
                if kappa > best_kappa + 1e-12:
                    best, best_kappa = (float(scale), float(shift)), kappa
        return best

    scales = np.linspace(*STRETCH_SCALES[:2], STRETCH_SCALES[2])
    shifts = np.linspace(*STRETCH_SHIFTS[:2], STRETCH_SHIFTS[2]) * step
    scale, shift = search(scales, shifts)
    scale_step, shift_step = scales[1] - scales[0], shifts[1] - shifts[0]
    return stretched(
        *search(
            np.linspace(scale - scale_step, scale + scale_step, STRETCH_REFINE),
            np.linspace(shift - shift_step, shift + shift_step, STRETCH_REFINE),
        )
    )


def fit_cutpoints_chosen(
    predictions: NDArray[np.float64],
    targets: Sequence[int] | NDArray[np.int64],
    valid_points: Sequence[int],
    *,
    resamples: int = 20,
    seed: int = 0,
    splits: int = 3,
) -> tuple[str, NDArray[np.float64]]:
    """Bagged thresholds or a stretch, whichever predicts held-out essays better.

    Each of ``splits`` random halvings fits both rules on one half and scores the QWK
    they give the other half, both ways round (the bagged rule with at most
    :data:`CHOICE_RESAMPLES` resamples there, for speed); the rule with the higher total
    is then fitted on every essay. Free thresholds win when each point value has essays enough
    to place its own; a stretch wins on wide scales (a 0-60 essay score) with a few
    hundred essays.

    Returns:
        The rule's name (``"bagged"`` or ``"stretch"``) and its cut-points.

    Raises:
        ValueError: Lengths differ or a target is not a valid point.
    """
    values = sorted(set(valid_points))
    pred = np.asarray(predictions, dtype=np.float64)
    true = np.asarray(targets, dtype=np.int64)
    ranks = _ranks(true, values, len(pred))
    weights = quadratic_weights(values)

    def bagged(
        rows: NDArray[np.int64], draws: int = min(resamples, CHOICE_RESAMPLES)
    ) -> NDArray[np.float64]:
        return fit_cutpoints_bagged(pred[rows], true[rows], values, resamples=draws, seed=seed)

    def stretch(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        return fit_cutpoints_stretch(pred[rows], true[rows], values)

    rules = {"bagged": bagged, "stretch": stretch}
    totals = dict.fromkeys(rules, 0.0)
    if len(values) > 2 and len(pred) >= 4:
        rng = np.random.default_rng(seed)
        for _ in range(splits):
            order = rng.permutation(len(pred))
            halves = (order[: len(pred) // 2], order[len(pred) // 2 :])
            for fit_rows, held in (halves, halves[::-1]):
                for name, rule in rules.items():
                    assigned = np.searchsorted(rule(fit_rows), pred[held], side="right")
                    totals[name] += _kappa(ranks[held], assigned, weights)
    # A tie (two point values, or too few essays to split) keeps the bagged thresholds.
    everyone = np.arange(len(pred))
    if totals["stretch"] > totals["bagged"]:
        return "stretch", stretch(everyone)
    return "bagged", bagged(everyone, resamples)


def _ranks(
    targets: Sequence[int] | NDArray[np.int64], values: list[int], count: int
) -> NDArray[np.int64]:
    if len(targets) != count:
        raise ValueError(f"{count} predictions but {len(targets)} targets")
    rank = {v: i for i, v in enumerate(values)}
    try:
        return np.array([rank[int(t)] for t in targets], dtype=np.int64)
    except KeyError as exc:
        raise ValueError(f"target {exc.args[0]} is not among {values}") from exc


def _kappa(
    true: NDArray[np.int64], assigned: NDArray[np.int64], weights: NDArray[np.float64]
) -> float:
    """QWK from class indices, without building label lists."""
    return kappa_from_confusion(index_confusion(true, assigned, len(weights)), weights)
