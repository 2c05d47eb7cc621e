"""The standard multi-trait protocol on all 8 ASAP prompts, as ArTS and SaMRL report it.

For each prompt and fold of the Taghipour-Ng split, one classifier per trait (the
holistic ``overall`` score included) is trained on the fold's training ids and scores the
evaluation ids; QWK is computed per trait and prompt over the trait's range and averaged
over the folds. The published summary is the mean per trait over the prompts that have
it, then the mean of those; per prompt, the mean over its traits. RMSE (in points) and
exact agreement are computed beside QWK, and for the ``default`` algorithm the RMSE of
plain rounding of its blended regression, so the cost or gain of the cut-points shows.

The trait scores are read from ``asap-traits/traits.csv`` and the essays from ASAP itself
(see the data folder's README); nothing is copied into the project.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.metrics import (
    exact_agreement,
    quadratic_weighted_kappa,
    root_mean_squared_error,
)
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.datasets import (
    ASAP_SCORE_RANGES,
    BenchmarkDataError,
    load_asap,
    read_folds,
)

TRAITS_FILE = "traits.csv"
OVERALL = "overall"
_ESSAY = ("content", "organization", "word choice", "sentence fluency", "conventions")
_SOURCE = ("content", "prompt adherence", "language", "narrativity")
_NARRATIVE = ("content", "organization", "conventions", "style")
# Traits (besides ``overall``) and their score range per prompt, as the published
# multi-trait evaluations use them (asap-traits/README.md).
STANDARD_TRAITS: dict[int, tuple[tuple[str, ...], tuple[int, int]]] = {
    1: (_ESSAY, (1, 6)), 2: (_ESSAY, (1, 6)),
    3: (_SOURCE, (0, 3)), 4: (_SOURCE, (0, 3)),
    5: (_SOURCE, (0, 4)), 6: (_SOURCE, (0, 4)),
    7: (_NARRATIVE, (0, 6)),
    8: ((*_ESSAY, "voice"), (2, 12)),
}  # fmt: skip
TRAIT_ORDER = (
    OVERALL, "content", "organization", "word choice", "sentence fluency", "conventions",
    "prompt adherence", "language", "narrativity", "style", "voice",
)  # fmt: skip

# Published results on this protocol (QWK), as the data folder's README quotes them.
PUBLISHED_MEAN = {"ArTS": 0.695, "SaMRL": 0.705}
PUBLISHED_PROMPT_MEAN = {
    "ArTS": {1: 0.708, 2: 0.706, 3: 0.704, 4: 0.767, 5: 0.723, 6: 0.776, 7: 0.749, 8: 0.603}
}

Progress = Callable[[str], None]


def trait_ranges(prompt: int) -> dict[str, tuple[int, int]]:
    """Every scored trait of a prompt, ``overall`` first, with its score range."""
    names, scale = STANDARD_TRAITS[prompt]
    return {OVERALL: ASAP_SCORE_RANGES[prompt], **dict.fromkeys(names, scale)}


def load_asap_traits(traits_dir: Path) -> dict[int, dict[str, int]]:
    """Trait scores per essay id, from ``traits_dir/traits.csv``.

    Raises:
        BenchmarkDataError: The file is missing, a column is missing, or a score of a
            trait the prompt has is empty or not an integer.
    """
    path = Path(traits_dir) / TRAITS_FILE
    if not path.is_file():
        raise BenchmarkDataError(f"trait file {path} not found", path=str(path))
    scores: dict[int, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            try:
                prompt = int(row["prompt_id"])
                scores[int(row["essay_id"])] = {
                    name: int(row[name]) for name in trait_ranges(prompt)
                }
            except (KeyError, ValueError, TypeError) as exc:
                raise BenchmarkDataError(f"{path} line {number} is malformed: {exc}") from exc
    return scores


@dataclass
class TraitFigures:
    """One trait of one prompt: a value per fold for each measure.

    Attributes:
        qwk: QWK of the scores given (cut-points for ``default``).
        rmse: RMSE in points of those scores.
        exact: Share of essays given exactly the reference score.
        rounded_rmse: RMSE of rounding the regression instead (``default`` only).
        rounded_qwk: QWK of rounding the regression instead (``default`` only).
    """

    qwk: list[float] = field(default_factory=list)
    rmse: list[float] = field(default_factory=list)
    exact: list[float] = field(default_factory=list)
    rounded_rmse: list[float] = field(default_factory=list)
    rounded_qwk: list[float] = field(default_factory=list)

    def mean(self, measure: str) -> float:
        """The mean over folds of one measure (NaN when it was not measured)."""
        values: list[float] = getattr(self, measure)
        return float(np.mean(values)) if values else float("nan")


@dataclass(frozen=True)
class TraitSummary:
    """A measure averaged the published way.

    Attributes:
        per_trait: Mean over the prompts that have the trait.
        per_prompt: Mean over the prompt's traits.
        mean: Mean of ``per_trait`` (the published summary figure).
    """

    per_trait: dict[str, float]
    per_prompt: dict[int, float]
    mean: float


def summarise(values: Mapping[tuple[int, str], float]) -> TraitSummary:
    """Average per-(prompt, trait) values per trait over prompts, then over traits.

    NaN values (a measure not taken) are left out; a trait or prompt with none is left
    out too.
    """
    by_trait: dict[str, list[float]] = {}
    by_prompt: dict[int, list[float]] = {}
    for (prompt, trait), value in values.items():
        if np.isnan(value):
            continue
        by_trait.setdefault(trait, []).append(value)
        by_prompt.setdefault(prompt, []).append(value)
    order = {name: i for i, name in enumerate(TRAIT_ORDER)}
    per_trait = {
        t: float(np.mean(v))
        for t, v in sorted(by_trait.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
    }
    per_prompt = {p: float(np.mean(v)) for p, v in sorted(by_prompt.items())}
    mean = float(np.mean(list(per_trait.values()))) if per_trait else float("nan")
    return TraitSummary(per_trait, per_prompt, mean)


@dataclass
class TraitProtocolResult:
    """Figures of the trait protocol for one algorithm."""

    algorithm_id: str
    split: str
    folds: list[int]
    figures: dict[tuple[int, str], TraitFigures] = field(default_factory=dict)

    def summary(self, measure: str) -> TraitSummary:
        """One measure averaged per trait, per prompt and overall."""
        return summarise({key: f.mean(measure) for key, f in self.figures.items()})

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "algorithm_id": self.algorithm_id,
            "split": self.split,
            "folds": self.folds,
            "figures": [
                {"prompt": p, "trait": t, **{m: f.mean(m) for m in MEASURES}}
                for (p, t), f in sorted(self.figures.items())
            ],
        }


MEASURES = ("qwk", "rmse", "exact", "rounded_rmse", "rounded_qwk")


def merge_results(parts: Sequence[Mapping[str, Any]]) -> TraitProtocolResult:
    """One result from the ``trait_protocol`` of runs over different prompts (each from
    :meth:`TraitProtocolResult.to_dict`), so a long run can be split across processes.

    Raises:
        BenchmarkDataError: The parts differ in algorithm, split or folds, or share a prompt.
    """
    if not parts:
        raise BenchmarkDataError("no results to merge")
    first = parts[0]
    merged = TraitProtocolResult(
        str(first["algorithm_id"]), str(first["split"]), list(first["folds"])
    )
    for part in parts:
        if (part["algorithm_id"], part["split"], list(part["folds"])) != (
            merged.algorithm_id,
            merged.split,
            merged.folds,
        ):
            raise BenchmarkDataError("results to merge differ in algorithm, split or folds")
        for row in part["figures"]:
            key = (int(row["prompt"]), str(row["trait"]))
            if key in merged.figures:
                raise BenchmarkDataError(f"prompt {key[0]} appears in two results")
            # Fold means stand for the folds: the mean of one value is that value.
            merged.figures[key] = TraitFigures(
                **{
                    m: [] if row[m] is None or np.isnan(row[m]) else [float(row[m])]
                    for m in MEASURES
                }
            )
    return merged


def _rounded(values: np.ndarray, low: int, high: int) -> list[int]:
    return [int(v) for v in np.clip(np.rint(values), low, high)]


def run_trait_protocol(
    data_dir: Path,
    traits_dir: Path,
    algorithm_id: str = "default",
    prompts: Iterable[int] = range(1, 9),
    *,
    folds: Iterable[int] = range(5),
    split: str = "test",
    registry: AlgorithmRegistry | None = None,
    progress: Progress | None = None,
    advance: Callable[[], None] | None = None,
) -> TraitProtocolResult:
    """Train one classifier per trait per prompt and fold, called directly, and measure.

    Args:
        data_dir: The ``asap`` folder (essays and folds).
        traits_dir: The ``asap-traits`` folder.
        algorithm_id: A registered algorithm.
        prompts: ASAP prompts, 1-8.
        folds: Folds of the 5-fold split.
        split: ``test`` (train on train and dev ids) or ``dev`` (train on train ids).
        registry: Where the algorithm is registered; the built-ins by default.
        progress: Called with a line of text as each prompt and fold finishes.
        advance: Called once per prompt and fold, for progress bars.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
        RequestError: ``unknown_algorithm``.
    """
    registry = registry or AlgorithmRegistry()
    registry.check(algorithm_id)
    say = progress or (lambda _line: None)
    chosen_folds = sorted(set(folds))
    essays = load_asap(data_dir)
    fold_ids = read_folds(data_dir)
    traits = load_asap_traits(traits_dir)
    result = TraitProtocolResult(algorithm_id, split, chosen_folds)
    for prompt in sorted(set(prompts)):
        ranges = trait_ranges(prompt)
        own = [e for e in essays if e.prompt == prompt and e.essay_id in traits]
        for fold_number in chosen_folds:
            learn_ids, scored_ids = fold_ids[fold_number].ids(split)
            learn = [e for e in own if e.essay_id in learn_ids]
            scored = [e for e in own if e.essay_id in scored_ids]
            texts = [e.text for e in scored]
            train_cache, score_cache = FeatureCache(), FeatureCache()
            kappas = []
            for trait, (low, high) in ranges.items():
                valid = list(range(low, high + 1))
                truth = [traits[e.essay_id][trait] for e in scored]
                classifier = registry.new(algorithm_id).fit(
                    [e.text for e in learn],
                    [traits[e.essay_id][trait] for e in learn],
                    valid_points=valid,
                    cache=train_cache,
                )
                predicted = [s.points for s in classifier.predict(texts, cache=score_cache)]
                figures = result.figures.setdefault((prompt, trait), TraitFigures())
                figures.qwk.append(quadratic_weighted_kappa(truth, predicted, valid))
                figures.rmse.append(root_mean_squared_error(truth, predicted))
                figures.exact.append(exact_agreement(truth, predicted))
                regression = getattr(classifier, "predict_regression", None)
                if regression is not None:
                    rounded = _rounded(regression(texts, cache=score_cache), low, high)
                    figures.rounded_rmse.append(root_mean_squared_error(truth, rounded))
                    figures.rounded_qwk.append(quadratic_weighted_kappa(truth, rounded, valid))
                kappas.append(figures.qwk[-1])
            say(
                f"{algorithm_id} P{prompt} fold {fold_number} ({split}): "
                f"mean trait QWK {np.mean(kappas):.3f}"
            )
            if advance:
                advance()
    return result


def _row(label: str, cells: Sequence[float], mean: float, digits: int = 3) -> str:
    text = "".join(f"{c:>7.{digits}f}" if not np.isnan(c) else f"{'-':>7}" for c in cells)
    return f"{label:<18}{text}{mean:>8.{digits + 1}f}"


def _grid(result: TraitProtocolResult, measure: str, title: str, digits: int) -> list[str]:
    prompts = sorted({p for p, _ in result.figures})
    summary = result.summary(measure)
    lines = [title, f"{'trait':<18}" + "".join(f"{'P' + str(p):>7}" for p in prompts) + "    mean"]
    for trait, mean in summary.per_trait.items():
        cells = [
            result.figures[(p, trait)].mean(measure) if (p, trait) in result.figures else np.nan
            for p in prompts
        ]
        lines.append(_row(trait, cells, mean, digits))
    lines.append(
        _row("prompt mean", [summary.per_prompt[p] for p in prompts], summary.mean, digits)
    )
    return lines


def format_trait_protocol(result: TraitProtocolResult) -> str:
    """The protocol's tables: QWK beside published results, RMSE, exact agreement, and
    the cut-points against rounding."""
    trained = (
        "train+dev ids, score test ids" if result.split == "test" else ("train ids, score dev ids")
    )
    folds = ",".join(map(str, result.folds))
    lines = _grid(
        result,
        "qwk",
        f"Trait QWK, standard protocol ({result.algorithm_id}, one classifier per trait; "
        f"train on {trained}; folds {folds}; mean per trait over prompts, then over traits)",
        3,
    )
    prompts = sorted({p for p, _ in result.figures})
    for system, by_prompt in PUBLISHED_PROMPT_MEAN.items():
        cells = [by_prompt.get(p, np.nan) for p in prompts]
        lines.append(_row(f"{system} (published)", cells, PUBLISHED_MEAN[system]))
    lines.append(
        f"{'mean over traits':<18}{result.algorithm_id} {result.summary('qwk').mean:.4f}  "
        + "  ".join(f"{s} {m:.3f}" for s, m in PUBLISHED_MEAN.items())
        + " (published, all 8 prompts, 5 folds)"
    )
    lines += ["", *_grid(result, "rmse", "Trait RMSE in points (lower is better)", 3)]
    lines += ["", *_grid(result, "exact", "Trait exact agreement", 3)]
    rounded = result.summary("rounded_rmse")
    if rounded.per_trait:
        cut = result.summary("rmse")
        lines += [
            "",
            "What the cut-points cost in RMSE against rounding the blended regression",
            f"{'trait':<18}{'cut RMSE':>10}{'round RMSE':>12}{'cut QWK':>9}{'round QWK':>11}",
        ]
        qwk, rounded_qwk = result.summary("qwk"), result.summary("rounded_qwk")
        for trait in rounded.per_trait:
            lines.append(
                f"{trait:<18}{cut.per_trait[trait]:>10.3f}{rounded.per_trait[trait]:>12.3f}"
                f"{qwk.per_trait[trait]:>9.3f}{rounded_qwk.per_trait[trait]:>11.3f}"
            )
        lines.append(
            f"{'mean':<18}{cut.mean:>10.3f}{rounded.mean:>12.3f}"
            f"{qwk.mean:>9.4f}{rounded_qwk.mean:>11.4f}"
        )
    return "\n".join(lines)
