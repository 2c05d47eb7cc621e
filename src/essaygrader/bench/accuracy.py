"""The accuracy benchmark: the standard ASAP 5-fold protocol, ASAP++ traits, speed.

Protocol (as published results use it): for each prompt and fold, train on the fold's
train and dev ids, score its test ids, and compute QWK over the prompt's score range;
average the five folds per prompt, then take the plain mean over prompts. ASAP++ trains
one classifier per trait of a prompt (a rubric with several criteria) on the train and
dev files and reports QWK per trait on the test file.

Everything is read from the data folder at run time; the module imports without it.
Run it on one core (``taskset -c 1``, ``OMP_NUM_THREADS=1``) for per-core timings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from essaygrader.algorithms.base import FeatureCache, Score
from essaygrader.algorithms.metrics import (
    adjacent_agreement,
    exact_agreement,
    quadratic_weighted_kappa,
    root_mean_squared_error,
)
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.datasets import (
    ASAP_SCORE_RANGES,
    PLUS_PLUS_TRAITS,
    TraitEssay,
    load_asap,
    load_asap_plus_plus,
    read_folds,
)
from essaygrader.bench.report import (
    AccuracyResult,
    AlgorithmResult,
    calibration_table,
    format_table,
)
from essaygrader.bench.timing import measure_speed

__all__ = ["AccuracyResult", "RubricTrainer", "format_table", "run_accuracy"]

Progress = Callable[[str], None]
RubricScorer = Callable[[list[str]], dict[str, list[int]]]


class RubricTrainer(Protocol):
    """Trains every criterion of a rubric and returns a function that scores essays.

    The benchmark calls it for ASAP++ traits; the default trains in process with one
    shared feature cache, and the training pipeline can stand in for it.
    """

    def __call__(
        self,
        algorithm_id: str,
        texts: list[str],
        scores: Mapping[str, list[int]],
        valid_points: Mapping[str, list[int]],
    ) -> RubricScorer: ...


def train_rubric_in_process(registry: AlgorithmRegistry) -> RubricTrainer:
    """A :class:`RubricTrainer` that fits one classifier per criterion with a shared cache."""

    def train(
        algorithm_id: str,
        texts: list[str],
        scores: Mapping[str, list[int]],
        valid_points: Mapping[str, list[int]],
    ) -> RubricScorer:
        cache = FeatureCache()
        fitted = {
            name: registry.new(algorithm_id).fit(
                texts, points, valid_points=valid_points[name], cache=cache
            )
            for name, points in scores.items()
        }

        def score(essays: list[str]) -> dict[str, list[int]]:
            shared = FeatureCache()
            return {
                name: [s.points for s in model.predict(essays, cache=shared)]
                for name, model in fitted.items()
            }

        return score

    return train


@dataclass
class _Collector:
    """Raw observations of one algorithm while the benchmark runs."""

    result: AlgorithmResult
    confidences: list[float] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    adjacent: list[bool] = field(default_factory=list)


def run_accuracy(
    data_dir: Path,
    algorithms: Sequence[str] = ("default", "ease"),
    prompts: Iterable[int] = range(1, 9),
    *,
    folds: Iterable[int] = range(5),
    split: str = "test",
    traits_dir: Path | None = None,
    registry: AlgorithmRegistry | None = None,
    rubric_trainer: RubricTrainer | None = None,
    measure: bool = True,
    progress: Progress | None = None,
    advance: Callable[[], None] | None = None,
) -> AccuracyResult:
    """Run the benchmark and return every figure it measured.

    Args:
        data_dir: The ``asap`` data folder (``training_set_rel3.tsv`` and ``folds/``).
        algorithms: Registered algorithm ids to evaluate.
        prompts: ASAP prompts (1-8); for ASAP++ only 1-6 exist.
        folds: Which of the five folds to run (all five for the published protocol).
        split: ``test`` (the published protocol) or ``dev``: train on the train ids
            (the train file for ASAP++) and score the dev ids, for choosing models.
        traits_dir: The ``asap-plus-plus`` folder; ASAP++ is skipped when None.
        registry: Where the algorithms are registered; the built-ins by default.
        rubric_trainer: Trains the ASAP++ rubrics; in process by default.
        measure: Also measure throughput, model size and load time.
        progress: Called with a line of text as each step finishes.
        advance: Called once per fold fitted and per ASAP++ rubric, for progress bars.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
        RequestError: ``unknown_algorithm``; an algorithm id is not registered.
    """
    registry = registry or AlgorithmRegistry()
    for algorithm_id in algorithms:
        registry.check(algorithm_id)
    say = progress or (lambda _line: None)
    prompts, folds = sorted(set(prompts)), sorted(set(folds))
    essays = load_asap(data_dir)
    fold_ids = read_folds(data_dir)
    collectors = {a: _Collector(AlgorithmResult(a)) for a in algorithms}

    for prompt in prompts:
        low, high = ASAP_SCORE_RANGES[prompt]
        valid = list(range(low, high + 1))
        for fold_number in folds:
            train, test = fold_ids[fold_number].split(essays, prompt, split)
            texts, truth = [e.text for e in test], [e.score for e in test]
            for algorithm_id, collector in collectors.items():
                started = time.perf_counter()
                classifier = registry.new(algorithm_id).fit(
                    [e.text for e in train], [e.score for e in train], valid_points=valid
                )
                collector.result.record_fit(prompt, len(train), time.perf_counter() - started)
                scores = classifier.predict(texts)
                kappa = _record_scores(collector, truth, scores, valid, prompt)
                say(f"{algorithm_id} P{prompt} fold {fold_number}: QWK {kappa:.3f}")
                if advance:
                    advance()
                if measure and collector.result.speed is None:
                    collector.result.speed = measure_speed(registry, classifier, texts)
                    say(f"{algorithm_id}: {collector.result.speed}")

    for collector in collectors.values():
        collector.result.calibration = calibration_table(
            np.asarray(collector.confidences),
            np.asarray(collector.exact),
            np.asarray(collector.adjacent),
        )
    if traits_dir is not None:
        trainer = rubric_trainer or train_rubric_in_process(registry)
        for prompt in (p for p in prompts if p in PLUS_PLUS_TRAITS):
            splits = load_asap_plus_plus(traits_dir, prompt)
            for algorithm_id, collector in collectors.items():
                qwks = _trait_qwks(trainer, algorithm_id, splits, prompt, split)
                collector.result.traits[prompt] = qwks
                say(f"{algorithm_id} ASAP++ P{prompt}: {qwks}")
                if advance:
                    advance()
    return AccuracyResult([c.result for c in collectors.values()], prompts, folds, split)


def _record_scores(
    collector: _Collector, truth: list[int], scores: list[Score], valid: list[int], prompt: int
) -> float:
    predicted = [s.points for s in scores]
    kappa = quadratic_weighted_kappa(truth, predicted, valid)
    collector.result.fold_qwk.setdefault(prompt, []).append(kappa)
    collector.result.fold_adjacent.setdefault(prompt, []).append(
        adjacent_agreement(truth, predicted, valid)
    )
    collector.result.fold_exact.setdefault(prompt, []).append(exact_agreement(truth, predicted))
    collector.result.fold_rmse.setdefault(prompt, []).append(
        root_mean_squared_error(truth, predicted)
    )
    collector.confidences.extend(s.confidence for s in scores)
    collector.exact.extend(t == p for t, p in zip(truth, predicted, strict=True))
    collector.adjacent.extend(abs(t - p) <= 1 for t, p in zip(truth, predicted, strict=True))
    return kappa


def _trait_qwks(
    trainer: RubricTrainer,
    algorithm_id: str,
    splits: dict[str, list[TraitEssay]],
    prompt: int,
    split: str = "test",
) -> dict[str, float]:
    names, (low, high) = PLUS_PLUS_TRAITS[prompt]
    valid = list(range(low, high + 1))
    train = splits["train"] + splits["dev"] if split == "test" else splits["train"]
    scorer = trainer(
        algorithm_id,
        [e.text for e in train],
        {name: [e.traits[i] for e in train] for i, name in enumerate(names)},
        dict.fromkeys(names, valid),
    )
    test = splits[split]
    predicted = scorer([e.text for e in test])
    return {
        name: quadratic_weighted_kappa([e.traits[i] for e in test], predicted[name], valid)
        for i, name in enumerate(names)
    }
