"""``essaygrader bench grade-next``: does grading what grade-next picks pay?

For each ASAP prompt, fold 0's train and dev essays are the ungraded submissions and its
test essays measure the classifier. Staff "grade" (the ASAP score is revealed) 50, then
100, then 200 essays, chosen either at random or by grade-next: the first 50 by
:func:`~essaygrader.algorithms.grade_next.random_sample` (no classifier yet; the same
draw as the random arm's, so that the arms differ only in what follows), each later
batch by :func:`~essaygrader.algorithms.grade_next.mixed_sample` (the API's choice; or
another of :data:`CHOOSERS`, to compare) from the predictions of the classifier trained
on the essays graded so far. After each step a
classifier is trained on the graded essays and QWK on the test essays is recorded; the
table shows the mean over seeds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache
from essaygrader.algorithms.grade_next import (
    Choice,
    Prediction,
    balanced_sample,
    mixed_sample,
    random_sample,
)
from essaygrader.algorithms.metrics import quadratic_weighted_kappa
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.datasets import ASAP_SCORE_RANGES, AsapEssay, load_asap, read_folds

STEPS = (50, 100, 200)
STRATEGIES = ("random", "grade-next", "weighted")
CRITERION = "score"
# How grade-next chooses once a classifier exists: the API's choice first, then the
# alternatives measured against it (README, "What to grade next").
CHOOSERS: dict[str, Callable[[Sequence[Prediction | None], int, int], list[Choice]]] = {
    "mixed": lambda predictions, limit, seed: mixed_sample(predictions, limit, seed=seed),
    "balanced": lambda predictions, limit, seed: balanced_sample(predictions, limit, seed=seed),
}


@dataclass
class CurveResult:
    """QWK per (prompt, strategy), one list per seed, one value per step."""

    prompts: list[int]
    seeds: list[int]
    algorithm_id: str
    qwk: dict[tuple[int, str], list[list[float]]] = field(default_factory=dict)

    def mean(self, prompt: int, strategy: str) -> list[float]:
        """Mean QWK over the seeds at each step."""
        return [float(v) for v in np.mean(self.qwk[(prompt, strategy)], axis=0)]


class _Learner:
    def __init__(
        self, registry: AlgorithmRegistry, algorithm_id: str, prompt: int, test: list[AsapEssay]
    ) -> None:
        self.registry = registry
        self.algorithm_id = algorithm_id
        low, high = ASAP_SCORE_RANGES[prompt]
        self.valid = list(range(low, high + 1))
        self.test = test
        self.cache = FeatureCache()

    def train(
        self, graded: Sequence[AsapEssay], weights: Sequence[float] | None = None
    ) -> tuple[float, CriterionClassifier]:
        extra = {} if weights is None else {"sample_weight": list(weights)}
        model = self.registry.new(self.algorithm_id).fit(
            [e.text for e in graded],
            [e.score for e in graded],
            valid_points=self.valid,
            cache=self.cache,
            **extra,
        )
        predicted = [s.points for s in model.predict([e.text for e in self.test], cache=self.cache)]
        qwk = quadratic_weighted_kappa([e.score for e in self.test], predicted, labels=self.valid)
        return qwk, model


def _random_curve(learner: _Learner, pool: list[AsapEssay], seed: int) -> list[float]:
    order = [pool[i] for i in random.Random(seed).sample(range(len(pool)), max(STEPS))]
    return [learner.train(order[:n])[0] for n in STEPS]


def _inverse_chances(chances: list[float]) -> list[float] | None:
    """Weights of 1 / chance of inclusion, mean 1; None when all are alike."""
    inverse = 1.0 / np.asarray(chances)
    if np.allclose(inverse, inverse[0]):
        return None
    return [float(v) for v in inverse / inverse.mean()]


def _mixed_chances(
    predictions: Sequence[Prediction], chosen: Sequence[Choice], size: int
) -> list[float]:
    """Each chosen essay's chance of inclusion in a :func:`mixed_sample` batch of ``size``:
    the random half's share of the candidates plus the balanced half's of its group's."""
    groups: dict[int, int] = {}
    for p in predictions:
        key = sum(p.points.values())
        groups[key] = groups.get(key, 0) + 1
    m, half = len(predictions), size // 2
    return [
        min(
            1.0,
            (size - half) / m
            + half / (len(groups) * groups[sum(predictions[c.index].points.values())]),
        )
        for c in chosen
    ]


def _grade_next_curve(
    learner: _Learner, pool: list[AsapEssay], seed: int, chooser: str
) -> tuple[list[float], list[float]]:
    """QWK after each step of the essays grade-next picks, trained as they are and
    weighted back to the pool's mix (1 / each essay's chance of having been picked)."""
    # grade-next's first batch is a random sample, as the random arm's first 50 (the same
    # draw: the two arms differ only in how the later essays are chosen).
    graded = [c.index for c in random_sample(len(pool), max(STEPS), seed=seed)][: STEPS[0]]
    chances = [STEPS[0] / len(pool)] * len(graded)
    curve, weighted = [], []
    for step, target in enumerate(STEPS):
        qwk, model = learner.train([pool[i] for i in graded])
        curve.append(qwk)
        weights = _inverse_chances(chances)
        weighted.append(
            qwk if weights is None else learner.train([pool[i] for i in graded], weights)[0]
        )
        if step + 1 == len(STEPS):
            break
        taken = set(graded)
        rest = [i for i in range(len(pool)) if i not in taken]
        scores = model.predict([pool[i].text for i in rest], cache=learner.cache)
        predictions = [Prediction({CRITERION: s.points}, {CRITERION: s.confidence}) for s in scores]
        wanted = STEPS[step + 1] - target
        chosen = CHOOSERS[chooser](predictions, wanted, seed)
        chances += _mixed_chances(predictions, chosen, wanted)
        graded += [rest[c.index] for c in chosen]
    return curve, weighted


def run_grade_next(
    data_dir: Path,
    prompts: list[int],
    seeds: list[int],
    registry: AlgorithmRegistry,
    algorithm_id: str,
    progress: Callable[[str], None],
    chooser: str = "mixed",
) -> CurveResult:
    """The learning curves of both strategies; see the module's docstring.

    Args:
        chooser: How grade-next picks once a classifier exists, a key of :data:`CHOOSERS`.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
    """
    essays = load_asap(data_dir)
    fold = read_folds(data_dir)[0]
    result = CurveResult(prompts, seeds, algorithm_id)
    for prompt in prompts:
        pool, test = fold.split(essays, prompt)
        learner = _Learner(registry, algorithm_id, prompt, test)
        for seed in seeds:
            progress(f"prompt {prompt} seed {seed}")
            result.qwk.setdefault((prompt, "random"), []).append(_random_curve(learner, pool, seed))
            chosen, weighted = _grade_next_curve(learner, pool, seed, chooser)
            result.qwk.setdefault((prompt, "grade-next"), []).append(chosen)
            result.qwk.setdefault((prompt, "weighted"), []).append(weighted)
    return result


def format_curves(result: CurveResult) -> str:
    """The learning-curve table."""
    seeds = ",".join(str(s) for s in result.seeds)
    lines = [
        f"QWK on ASAP fold-0 test essays after N staff grades ({result.algorithm_id}; "
        f"mean over seeds {seeds})",
        "prompt  chosen by    " + "".join(f"{n:>8}" for n in STEPS),
    ]
    strategies = [s for s in STRATEGIES if (result.prompts[0], s) in result.qwk]
    for prompt in result.prompts:
        for strategy in strategies:
            cells = "".join(f"{v:8.3f}" for v in result.mean(prompt, strategy))
            lines.append(f"P{prompt:<6} {strategy:<12} {cells}")
    for strategy in strategies:
        means = np.mean([result.mean(p, strategy) for p in result.prompts], axis=0)
        lines.append(f"{'mean':<7} {strategy:<12} " + "".join(f"{v:8.3f}" for v in means))
    for first, second in (
        ("grade-next", "random"),
        ("weighted", "random"),
        ("weighted", "grade-next"),
    ):
        if first not in strategies or second not in strategies:
            continue
        mean, error, ahead, pairs = paired_difference(result, first, second)
        lines.append(f"{first} - {second}, paired by prompt and seed (mean +/- standard error):")
        lines.append(
            "  ".join(
                f"at {n}: {m:+.4f} +/- {e:.4f}, ahead in {a} of {pairs}"
                for n, m, e, a in zip(STEPS, mean, error, ahead, strict=True)
            )
        )
    return "\n".join(lines)


def paired_difference(
    result: CurveResult, first: str = "grade-next", second: str = "random"
) -> tuple[list[float], list[float], list[int], int]:
    """Per step, grade-next's QWK less random's over every (prompt, seed) pair: the mean,
    its standard error, and how many pairs grade-next is ahead in, of how many.

    The two arms of a pair share the prompt, the seed and the first batch, so their
    difference is far less noisy than the difference of the two means.
    """
    differences = np.array(
        [
            np.subtract(chosen, drawn)
            for prompt in result.prompts
            for chosen, drawn in zip(
                result.qwk[(prompt, first)], result.qwk[(prompt, second)], strict=True
            )
        ]
    )
    pairs = len(differences)
    mean = differences.mean(axis=0)
    error = differences.std(axis=0, ddof=1) / np.sqrt(pairs) if pairs > 1 else np.zeros_like(mean)
    ahead = (differences > 0).sum(axis=0)
    return [float(v) for v in mean], [float(v) for v in error], [int(v) for v in ahead], pairs
