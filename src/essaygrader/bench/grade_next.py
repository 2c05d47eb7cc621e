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
STRATEGIES = ("random", "grade-next")
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

    def train(self, graded: Sequence[AsapEssay]) -> tuple[float, CriterionClassifier]:
        model = self.registry.new(self.algorithm_id).fit(
            [e.text for e in graded],
            [e.score for e in graded],
            valid_points=self.valid,
            cache=self.cache,
        )
        predicted = [s.points for s in model.predict([e.text for e in self.test], cache=self.cache)]
        qwk = quadratic_weighted_kappa([e.score for e in self.test], predicted, labels=self.valid)
        return qwk, model


def _random_curve(learner: _Learner, pool: list[AsapEssay], seed: int) -> list[float]:
    order = [pool[i] for i in random.Random(seed).sample(range(len(pool)), max(STEPS))]
    return [learner.train(order[:n])[0] for n in STEPS]


def _grade_next_curve(
    learner: _Learner, pool: list[AsapEssay], seed: int, chooser: str
) -> list[float]:
    # grade-next's first batch is a random sample, as the random arm's first 50 (the same
    # draw: the two arms differ only in how the later essays are chosen).
    graded = [c.index for c in random_sample(len(pool), max(STEPS), seed=seed)][: STEPS[0]]
    curve = []
    for step, target in enumerate(STEPS):
        qwk, model = learner.train([pool[i] for i in graded])
        curve.append(qwk)
        if step + 1 == len(STEPS):
            break
        taken = set(graded)
        rest = [i for i in range(len(pool)) if i not in taken]
        scores = model.predict([pool[i].text for i in rest], cache=learner.cache)
        predictions = [Prediction({CRITERION: s.points}, {CRITERION: s.confidence}) for s in scores]
        wanted = STEPS[step + 1] - target
        chosen = CHOOSERS[chooser](predictions, wanted, seed)
        graded += [rest[c.index] for c in chosen]
    return curve


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
            result.qwk.setdefault((prompt, "grade-next"), []).append(
                _grade_next_curve(learner, pool, seed, chooser)
            )
    return result


def format_curves(result: CurveResult) -> str:
    """The learning-curve table."""
    seeds = ",".join(str(s) for s in result.seeds)
    lines = [
        f"QWK on ASAP fold-0 test essays after N staff grades ({result.algorithm_id}; "
        f"mean over seeds {seeds})",
        "prompt  chosen by    " + "".join(f"{n:>8}" for n in STEPS),
    ]
    for prompt in result.prompts:
        for strategy in STRATEGIES:
            cells = "".join(f"{v:8.3f}" for v in result.mean(prompt, strategy))
            lines.append(f"P{prompt:<6} {strategy:<12} {cells}")
    for strategy in STRATEGIES:
        means = np.mean([result.mean(p, strategy) for p in result.prompts], axis=0)
        lines.append(f"{'mean':<7} {strategy:<12} " + "".join(f"{v:8.3f}" for v in means))
    mean, error, ahead, pairs = paired_difference(result)
    lines.append("grade-next - random, paired by prompt and seed (mean +/- standard error):")
    lines.append(
        "  ".join(
            f"at {n}: {m:+.4f} +/- {e:.4f}, ahead in {a} of {pairs}"
            for n, m, e, a in zip(STEPS, mean, error, ahead, strict=True)
        )
    )
    return "\n".join(lines)


def paired_difference(result: CurveResult) -> tuple[list[float], list[float], list[int], int]:
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
                result.qwk[(prompt, "grade-next")], result.qwk[(prompt, "random")], strict=True
            )
        ]
    )
    pairs = len(differences)
    mean = differences.mean(axis=0)
    error = differences.std(axis=0, ddof=1) / np.sqrt(pairs) if pairs > 1 else np.zeros_like(mean)
    ahead = (differences > 0).sum(axis=0)
    return [float(v) for v in mean], [float(v) for v in error], [int(v) for v in ahead], pairs
