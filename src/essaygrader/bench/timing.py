"""Speed and size of trained classifiers: scoring throughput, model bytes, load time.

Throughput is measured the way a grading worker runs: a rubric of three criteria, each
a classifier loaded from its stored bytes, scoring a batch of essays that share one
:class:`FeatureCache` (features are computed once per essay, then reused by the other
criteria). "Warm" means the process has scored one batch before, so word-level memos
(spelling, syllables) and loaded models are in memory; every timed batch starts with a
fresh cache, so each essay's features are computed from scratch. Run it on one core
(``taskset -c 1`` and ``OMP_NUM_THREADS=1``) to get a per-core figure.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache
from essaygrader.algorithms.model_format import decode_model, encode_model
from essaygrader.algorithms.registry import AlgorithmRegistry

RUBRIC_CRITERIA = 3


@dataclass(frozen=True)
class SpeedReport:
    """How fast and how big one trained classifier is.

    Attributes:
        model_bytes: Size of the stored model (the encoded envelope).
        load_seconds: Time to decode the bytes and rebuild the classifier.
        essays_per_second: Warm scoring throughput for a rubric of three such criteria.
    """

    model_bytes: int
    load_seconds: float
    essays_per_second: float


def measure_speed(
    registry: AlgorithmRegistry,
    classifier: CriterionClassifier,
    texts: Sequence[str],
    *,
    repeats: int = 3,
) -> SpeedReport:
    """Measure size, load time and warm three-criterion throughput of ``classifier``.

    Args:
        registry: Where the classifier's algorithm is registered (for loading).
        classifier: A fitted classifier; it stands in for each of the three criteria.
        texts: Essays to score; a few hundred give a stable figure.
        repeats: Timed batches; the best one is reported, the usual guard against
            interference from other work on the machine.
    """
    blob = encode_model(classifier.to_model())
    started = time.perf_counter()
    criteria = [
        registry.load(classifier.algorithm_id, decode_model(blob)) for _ in range(RUBRIC_CRITERIA)
    ]
    load_seconds = (time.perf_counter() - started) / RUBRIC_CRITERIA
    batch = list(texts)
    _score_rubric(criteria, batch)  # warm-up: not timed
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        _score_rubric(criteria, batch)
        best = min(best, time.perf_counter() - started)
    return SpeedReport(len(blob), load_seconds, len(batch) / best if best > 0 else float("inf"))


def _score_rubric(criteria: Sequence[CriterionClassifier], texts: list[str]) -> None:
    cache = FeatureCache()
    for criterion in criteria:
        criterion.predict(texts, cache=cache)
