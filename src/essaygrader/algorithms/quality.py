"""Cross-validated quality of a criterion's classifier, as training records it.

Staff see these figures on the classifier set, and an item's ``min_qwk`` gate reads them:
QWK, exact and adjacent agreement against the human scores, the confusion matrix and
how many examples earned each point value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache
from essaygrader.algorithms.metrics import (
    adjacent_agreement,
    confusion_matrix,
    exact_agreement,
    quadratic_weighted_kappa,
)

DEFAULT_FOLDS = 5


def out_of_fold_points(
    classifier: CriterionClassifier,
    texts: Sequence[str],
    points: Sequence[int],
    *,
    valid_points: Sequence[int],
    cache: FeatureCache,
    prompt: str = "",
    folds: int = DEFAULT_FOLDS,
) -> tuple[list[int], str]:
    """A prediction for every training essay from a model that did not see it.

    Algorithms that compute out-of-fold predictions while fitting leave them in
    ``oof_points_``; for the others, ``folds`` clones of ``classifier`` are fitted here.

    Returns:
        The predictions, and how they were made (``"fit"`` or ``"k-fold"``).
    """
    from_fit = getattr(classifier, "oof_points_", None)
    if from_fit is not None and len(from_fit) == len(texts):
        return [int(p) for p in from_fit], "fit"
    predicted = [0] * len(texts)
    for held_out in _stratified_folds(points, folds):
        held = set(held_out)
        train = [i for i in range(len(texts)) if i not in held]
        model = classifier.clone().fit(
            [texts[i] for i in train],
            [points[i] for i in train],
            valid_points=valid_points,
            cache=cache,
            prompt=prompt,
        )
        scores = model.predict([texts[i] for i in held_out], cache=cache)
        for index, score in zip(held_out, scores, strict=True):
            predicted[index] = int(score.points)
    return predicted, "k-fold"


def _stratified_folds(points: Sequence[int], folds: int) -> list[list[int]]:
    """Deterministic folds that each hold a share of every point value."""
    order = sorted(range(len(points)), key=lambda i: (points[i], i))
    count = max(2, min(folds, len(points)))
    return [order[start::count] for start in range(count)]


def criterion_quality(
    points: Sequence[int], predicted: Sequence[int], valid_points: Sequence[int]
) -> dict[str, Any]:
    """Agreement of cross-validated predictions with the human scores of one criterion."""
    labels = sorted(int(p) for p in valid_points)
    matrix = confusion_matrix(points, predicted, labels)
    distribution = Counter(int(p) for p in points)
    return {
        "qwk": _finite(quadratic_weighted_kappa(points, predicted, labels)),
        "exact": _finite(exact_agreement(points, predicted)),
        "adjacent": _finite(adjacent_agreement(points, predicted, labels)),
        "examples": len(points),
        "distribution": {str(p): distribution.get(p, 0) for p in labels},
        "confusion": {"labels": labels, "matrix": matrix.tolist()},
    }


def _finite(value: float) -> float:
    # JSON has no NaN: a degenerate agreement figure is reported as 0.
    return round(value, 4) if math.isfinite(value) else 0.0
