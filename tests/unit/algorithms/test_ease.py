"""``ease`` scores regressions as the first implementation did: truncated, then snapped."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.ease import EaseClassifier

from .synthetic import graded_essays

# More than five point values: EASE trains a regressor.
POINTS = [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.fixture(scope="module")
def truncating() -> EaseClassifier:
    texts, points = graded_essays(160, POINTS, seed=3)
    return EaseClassifier().fit(texts, points, valid_points=POINTS)


@pytest.fixture(scope="module")
def unseen() -> list[str]:
    return graded_essays(80, POINTS, seed=4)[0]


def _raw(classifier: EaseClassifier, texts: list[str]) -> np.ndarray:
    features = classifier.vocabulary_.matrix(texts, FeatureCache())
    return np.asarray(classifier.booster_.predict(features))


def test_regression_points_are_the_prediction_truncated_then_snapped(
    truncating: EaseClassifier, unseen: list[str]
) -> None:
    assert not truncating.is_classifier_
    expected = [min(POINTS, key=lambda p: (abs(p - int(x)), p)) for x in _raw(truncating, unseen)]
    assert [s.points for s in truncating.predict(unseen)] == expected


def test_truncate_false_rounds_to_the_nearest_point_instead(
    truncating: EaseClassifier, unseen: list[str]
) -> None:
    texts, points = graded_essays(160, POINTS, seed=3)
    rounding = EaseClassifier(truncate=False).fit(texts, points, valid_points=POINTS)
    raw = _raw(rounding, unseen)
    rounded = [s.points for s in rounding.predict(unseen)]
    assert rounded == [min(POINTS, key=lambda p: (abs(p - x), p)) for x in raw]
    # Same trees, different mapping: truncation never scores higher, and here lower.
    truncated = [s.points for s in truncating.predict(unseen)]
    assert all(t <= r for t, r in zip(truncated, rounded, strict=True))
    assert sum(truncated) < sum(rounded)


def test_the_mapping_survives_the_model_format(
    truncating: EaseClassifier, unseen: list[str]
) -> None:
    model = truncating.to_model()
    assert model.metadata["params"]["truncate"] is True
    assert EaseClassifier.from_model(model).predict(unseen) == truncating.predict(unseen)
    # Models stored before the option existed rounded their regressions, and still do.
    params = {k: v for k, v in model.metadata["params"].items() if k != "truncate"}
    older = dataclasses.replace(model, metadata={**model.metadata, "params": params})
    raw = _raw(truncating, unseen)
    assert [s.points for s in EaseClassifier.from_model(older).predict(unseen)] == [
        min(POINTS, key=lambda p: (abs(p - x), p)) for x in raw
    ]
