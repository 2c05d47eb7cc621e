"""Agreement between two sets of scores: QWK, exact and adjacent agreement, confusion.

Shared by the accuracy benchmark and by training, which reports cross-validated quality
of every classifier it makes. Scores are point values; ``labels`` lists every value the
criterion allows, so that a value nobody earned still counts in the score range.
Quadratic weights use the distance between point *values*, so a rubric with points
0, 2, 5 punishes 0 versus 5 more than 0 versus 2; for a contiguous integer range this is
the usual QWK.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def _labels(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None
) -> list[int]:
    found = {int(v) for v in y_true} | {int(v) for v in y_pred}
    if labels is None:
        return sorted(found)
    allowed = sorted({int(v) for v in labels})
    stray = found - set(allowed)
    if stray:
        raise ValueError(f"scores {sorted(stray)} are not among the labels {allowed}")
    return allowed


def confusion_matrix(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None = None
) -> NDArray[np.int64]:
    """Counts of (true, predicted) pairs; rows are true scores, columns predicted.

    Args:
        y_true: Reference scores.
        y_pred: Scores to compare, aligned with ``y_true``.
        labels: Every allowed point value, in order; defaults to the values present.

    Raises:
        ValueError: The sequences differ in length, or a score is not among ``labels``.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} reference scores but {len(y_pred)} predictions")
    values = _labels(y_true, y_pred, labels)
    index = {v: i for i, v in enumerate(values)}
    rows = np.fromiter((index[int(v)] for v in y_true), dtype=np.int64, count=len(y_true))
    cols = np.fromiter((index[int(v)] for v in y_pred), dtype=np.int64, count=len(y_pred))
    return index_confusion(rows, cols, len(values))


def index_confusion(
    rows: NDArray[np.int64], cols: NDArray[np.int64], size: int
) -> NDArray[np.int64]:
    """:func:`confusion_matrix` of scores already given as positions among ``size`` labels."""
    counts = np.bincount(rows * size + cols, minlength=size * size)
    return np.asarray(counts.reshape(size, size), dtype=np.int64)


def quadratic_weights(labels: Sequence[int]) -> NDArray[np.float64]:
    """Disagreement weights ``((a - b) / range) ** 2`` between point values."""
    values = np.asarray(sorted({int(v) for v in labels}), dtype=np.float64)
    span = values[-1] - values[0] if len(values) > 1 else 1.0
    diff = (values[:, None] - values[None, :]) / (span or 1.0)
    return diff * diff


def kappa_from_confusion(
    matrix: NDArray[np.int64] | NDArray[np.float64], weights: NDArray[np.float64]
) -> float:
    """Weighted kappa of a confusion matrix; 1.0 when both sides never vary."""
    total = matrix.sum()
    if total == 0:
        return 0.0
    expected = np.outer(matrix.sum(axis=1), matrix.sum(axis=0)) / total
    denominator = float((weights * expected).sum())
    if denominator == 0.0:
        # Both raters gave one and the same value to everything: full agreement.
        return 1.0 if float((weights * matrix).sum()) == 0.0 else 0.0
    return 1.0 - float((weights * matrix).sum()) / denominator


def quadratic_weighted_kappa(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None = None
) -> float:
    """Quadratic weighted kappa (QWK) over the score range given by ``labels``.

    Raises:
        ValueError: See :func:`confusion_matrix`.
    """
    values = _labels(y_true, y_pred, labels)
    return kappa_from_confusion(confusion_matrix(y_true, y_pred, values), quadratic_weights(values))


def exact_agreement(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Share of essays given exactly the reference score.

    Raises:
        ValueError: The sequences differ in length or are empty.
    """
    true, pred = _aligned(y_true, y_pred)
    return float(np.mean(true == pred))


def root_mean_squared_error(y_true: Sequence[float], y_pred: Sequence[float]) -> float:
    """How far off a score is, in points: the square root of the mean squared difference.

    Raises:
        ValueError: The sequences differ in length or are empty.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} reference scores but {len(y_pred)} predictions")
    if len(y_true) == 0:
        raise ValueError("no scores to compare")
    difference = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return float(np.sqrt(np.mean(difference**2)))


def adjacent_agreement(
    y_true: Sequence[int], y_pred: Sequence[int], labels: Sequence[int] | None = None
) -> float:
    """Share of essays within one allowed point value (one step) of the reference.

    Raises:
        ValueError: The sequences differ in length or are empty, or a score is not among
            ``labels``.
    """
    true, pred = _aligned(y_true, y_pred)
    values = _labels(y_true, y_pred, labels)
    rank = {v: i for i, v in enumerate(values)}
    steps = np.abs(np.array([rank[int(v)] for v in true]) - np.array([rank[int(v)] for v in pred]))
    return float(np.mean(steps <= 1))


def _aligned(
    y_true: Sequence[int], y_pred: Sequence[int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} reference scores but {len(y_pred)} predictions")
    if len(y_true) == 0:
        raise ValueError("no scores to compare")
    return np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
