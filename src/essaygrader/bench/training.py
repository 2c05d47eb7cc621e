"""How long training takes per criterion, on real essays, as a training task runs it.

The essays are the first ``N`` of the chosen ASAP prompts; each criterion is trained on
the same essays with one shared :class:`FeatureCache`, the way a training task trains a
rubric: the first criterion pays for the essays' features, the others reuse them. Every
criterion gets the essays' human scores (capped to the rubric's range), so each fit does
the full work a real criterion would. Run it on one core (``taskset -c 1`` and
``OMP_NUM_THREADS=1``) for a per-core figure.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.datasets import BenchmarkDataError, load_asap

MAX_POINTS = 6


@dataclass(frozen=True)
class TrainingTimes:
    """Seconds to fit each criterion of one rubric, in order."""

    algorithm_id: str
    essays: int
    prompts: tuple[int, ...]
    seconds: tuple[float, ...]

    def format(self) -> str:
        prompts = ",".join(str(p) for p in self.prompts)
        lines = [
            f"{self.algorithm_id}: {len(self.seconds)} criteria on {self.essays} essays "
            f"(ASAP prompts {prompts}), one shared feature cache"
        ]
        lines += [
            f"  criterion {number}  {seconds:.2f} s"
            for number, seconds in enumerate(self.seconds, start=1)
        ]
        return "\n".join(lines)


def run_training_times(
    data_dir: Path,
    *,
    algorithm_id: str = "default",
    essays: int = 1800,
    criteria: int = 3,
    prompts: Sequence[int] = (1, 2),
    registry: AlgorithmRegistry | None = None,
) -> TrainingTimes:
    """Fit ``criteria`` classifiers on the first ``essays`` essays of ``prompts``.

    Raises:
        BenchmarkDataError: The data is missing, malformed, or has fewer essays.
        RequestError: ``unknown_algorithm``; ``algorithm_id`` is not registered.
    """
    registry = registry or AlgorithmRegistry()
    # A worker imports an algorithm's libraries once, not per training task: import them
    # before the clock starts, or the first criterion would count LightGBM's import.
    registry.classifier_class(algorithm_id)
    chosen = [e for e in load_asap(data_dir) if e.prompt in prompts][:essays]
    if len(chosen) < essays:
        raise BenchmarkDataError(
            f"ASAP prompts {list(prompts)} have {len(chosen)} essays, fewer than {essays}"
        )
    texts = [e.text for e in chosen]
    points = [min(e.score, MAX_POINTS) for e in chosen]
    valid = list(range(MAX_POINTS + 1))
    cache = FeatureCache()
    seconds = []
    for _ in range(criteria):
        started = time.perf_counter()
        registry.new(algorithm_id).fit(texts, points, valid_points=valid, cache=cache)
        seconds.append(time.perf_counter() - started)
    return TrainingTimes(algorithm_id, len(chosen), tuple(sorted(prompts)), tuple(seconds))
