"""``fake``: a fast, deterministic classifier for tests and wiring checks.

It learns one number per point value, the mean word count of the examples that earned
it, and gives an essay the point value whose mean is nearest to its own word count. The
grades mean little, but they are the same on every run and machine.

Parameters, for exercising the pipeline (set them in the algorithm registry settings):
``train_delay`` and ``score_delay`` sleep that many seconds in ``fit`` and ``predict``;
``fail`` set to ``"train"`` or ``"score"`` raises the algorithm error of that step. The
two read when scoring come from the loading process's settings, not from the model, so a
worker configured to fail scoring fails with models trained before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import ClassVar, Self

from essaygrader.algorithms.base import (
    CriterionClassifier,
    FeatureCache,
    ModelData,
    Score,
    check_training_data,
)
from essaygrader.algorithms.model_format import load_json
from essaygrader.errors import InternalError


def _word_counts(texts: list[str]) -> list[int]:
    return [len(text.split()) for text in texts]


class FakeClassifier(CriterionClassifier):
    """Word-count classifier; see the module docstring."""

    algorithm_id = "fake"
    format_version = 1
    scoring_params: ClassVar[frozenset[str]] = frozenset({"score_delay", "fail"})

    centres_: dict[int, float]

    def __init__(
        self, *, train_delay: float = 0.0, score_delay: float = 0.0, fail: str | None = None
    ) -> None:
        self.train_delay = train_delay
        self.score_delay = score_delay
        self.fail = fail

    def fit(
        self,
        texts: Sequence[str],
        points: Sequence[int],
        *,
        valid_points: Sequence[int],
        cache: FeatureCache | None = None,
        prompt: str = "",
    ) -> Self:
        check_training_data(texts, points, valid_points)
        time.sleep(float(self.train_delay))
        if self.fail == "train":
            raise InternalError(
                "fake algorithm set to fail training", code="algorithm_training_error"
            )
        counts = (cache or FeatureCache()).per_essay("fake.words", texts, _word_counts)
        by_points: dict[int, list[int]] = {}
        for count, earned in zip(counts, points, strict=True):
            by_points.setdefault(int(earned), []).append(count)
        self.valid_points_ = sorted(int(p) for p in valid_points)
        self.centres_ = {p: sum(c) / len(c) for p, c in sorted(by_points.items())}
        return self

    def predict(self, texts: Sequence[str], *, cache: FeatureCache | None = None) -> list[Score]:
        if not hasattr(self, "centres_"):
            raise InternalError(
                "fake classifier: call fit or from_model before predict", code="not_fitted"
            )
        time.sleep(float(self.score_delay))
        if self.fail == "score":
            raise InternalError(
                "fake algorithm set to fail scoring", code="algorithm_scoring_error"
            )
        counts = (cache or FeatureCache()).per_essay("fake.words", texts, _word_counts)
        return [self._score(count) for count in counts]

    def _score(self, count: int) -> Score:
        distances = sorted((abs(count - centre), p) for p, centre in self.centres_.items())
        best_distance, best = distances[0]
        runner_up = distances[1][0] if len(distances) > 1 else best_distance + 1.0
        confidence = 1.0 - best_distance / (best_distance + runner_up) if runner_up else 1.0
        return Score(points=best, confidence=round(confidence, 4))

    def to_model(self) -> ModelData:
        if not hasattr(self, "centres_"):
            raise InternalError("fake classifier: nothing to export before fit", code="not_fitted")
        payload = {"centres": [[p, c] for p, c in self.centres_.items()]}
        return ModelData(
            algorithm_id=self.algorithm_id,
            format_version=self.format_version,
            metadata={"valid_points": self.valid_points_, "params": self.get_params()},
            payload=json.dumps(payload, sort_keys=True).encode(),
        )

    @classmethod
    def from_model(cls, model: ModelData) -> Self:
        cls.check_format(model)
        classifier = cls(**cls.stored_params(model))
        payload = load_json(model.payload, what="fake model")
        try:
            centres = {int(p): float(c) for p, c in payload["centres"]}
            valid_points = [int(p) for p in model.metadata["valid_points"]]
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise InternalError(
                f"fake model is malformed: {exc}", code="algorithm_load_error"
            ) from exc
        if not centres or not set(centres) <= set(valid_points):
            raise InternalError(
                "fake model's point values are not among its valid points",
                code="algorithm_load_error",
            )
        classifier.centres_ = centres
        classifier.valid_points_ = valid_points
        return classifier
