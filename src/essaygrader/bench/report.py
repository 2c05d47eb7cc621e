"""What the accuracy benchmark measured, and its plain-text table.

Kept apart from the runner so that a caller (the command line, a dashboard) can load,
print or serialise results without the data or the algorithms at hand.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from essaygrader.bench.timing import SpeedReport

CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class CalibrationBin:
    """Agreement of the predictions whose confidence fell in [low, high)."""

    low: float
    high: float
    count: int
    exact: float
    adjacent: float


def calibration_table(
    confidences: NDArray[np.float64], exact: NDArray[np.bool_], adjacent: NDArray[np.bool_]
) -> list[CalibrationBin]:
    """Exact and adjacent agreement per confidence bin (the last bin includes 1.0)."""
    bins = []
    edges = CONFIDENCE_BINS
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        inside = (confidences >= low) & ((confidences <= high) if last else (confidences < high))
        count = int(inside.sum())
        bins.append(
            CalibrationBin(
                low,
                high,
                count,
                float(exact[inside].mean()) if count else float("nan"),
                float(adjacent[inside].mean()) if count else float("nan"),
            )
        )
    return bins


@dataclass
class AlgorithmResult:
    """Every figure measured for one algorithm.

    Attributes:
        algorithm_id: The registered id.
        fold_qwk: QWK per prompt, one value per fold run.
        fold_adjacent: Adjacent agreement per prompt and fold.
        fold_exact: Exact agreement per prompt and fold.
        fold_rmse: RMSE in points per prompt and fold.
        fits: (prompt, training essays, seconds) of every criterion trained.
        speed: Size, load time and throughput, measured on the first trained model.
        calibration: Agreement per confidence bin, pooled over every test prediction.
        traits: ASAP++ QWK per prompt and trait.
    """

    algorithm_id: str
    fold_qwk: dict[int, list[float]] = field(default_factory=dict)
    fold_adjacent: dict[int, list[float]] = field(default_factory=dict)
    fold_exact: dict[int, list[float]] = field(default_factory=dict)
    fold_rmse: dict[int, list[float]] = field(default_factory=dict)
    fits: list[tuple[int, int, float]] = field(default_factory=list)
    speed: SpeedReport | None = None
    calibration: list[CalibrationBin] = field(default_factory=list)
    traits: dict[int, dict[str, float]] = field(default_factory=dict)

    def record_fit(self, prompt: int, essays: int, seconds: float) -> None:
        """Note one criterion's training time."""
        self.fits.append((prompt, essays, seconds))

    @property
    def prompt_qwk(self) -> dict[int, float]:
        """QWK per prompt, averaged over folds."""
        return {p: float(np.mean(v)) for p, v in sorted(self.fold_qwk.items())}

    @property
    def mean_qwk(self) -> float:
        """Plain mean of the per-prompt QWKs (the published summary figure)."""
        values = list(self.prompt_qwk.values())
        return float(np.mean(values)) if values else float("nan")

    @property
    def trait_mean(self) -> float:
        """Mean QWK over every ASAP++ trait of every prompt."""
        values = [q for by_trait in self.traits.values() for q in by_trait.values()]
        return float(np.mean(values)) if values else float("nan")

    @property
    def train_seconds(self) -> float:
        """Total time spent training criteria."""
        return float(sum(seconds for _, _, seconds in self.fits))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, summary figures included."""
        data = asdict(self)
        data.update(
            prompt_qwk=self.prompt_qwk,
            mean_qwk=self.mean_qwk,
            trait_mean=self.trait_mean,
            train_seconds=self.train_seconds,
        )
        return data


@dataclass
class AccuracyResult:
    """The benchmark's results for every algorithm, and what was run."""

    algorithms: list[AlgorithmResult]
    prompts: list[int]
    folds: list[int]
    split: str = "test"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "prompts": self.prompts,
            "folds": self.folds,
            "split": self.split,
            "algorithms": [a.to_dict() for a in self.algorithms],
        }


def _qwk_section(result: AccuracyResult) -> list[str]:
    header = f"{'algorithm':<10}" + "".join(f"{'P' + str(p):>7}" for p in result.prompts)
    trained = (
        "train on train+dev ids, test on test ids"
        if result.split == "test"
        else "train on train ids, score dev ids"
    )
    lines = [
        f"ASAP QWK, folds {','.join(map(str, result.folds))} "
        f"({trained}; mean of folds, then of prompts)",
        header + f"{'mean':>8}",
    ]
    for algo in result.algorithms:
        cells = "".join(f"{algo.prompt_qwk.get(p, float('nan')):>7.3f}" for p in result.prompts)
        lines.append(f"{algo.algorithm_id:<10}{cells}{algo.mean_qwk:>8.4f}")
    for label, measure in (("RMSE in points", "fold_rmse"), ("exact agreement", "fold_exact")):
        lines.append(f"ASAP {label}, same runs")
        for algo in result.algorithms:
            values = {p: float(np.mean(v)) for p, v in getattr(algo, measure).items()}
            cells = "".join(f"{values.get(p, float('nan')):>7.3f}" for p in result.prompts)
            mean = float(np.mean(list(values.values()))) if values else float("nan")
            lines.append(f"{algo.algorithm_id:<10}{cells}{mean:>8.4f}")
    return lines


def _trait_section(result: AccuracyResult) -> list[str]:
    files = "train+dev files, test file" if result.split == "test" else "train file, dev file"
    lines = ["", f"ASAP++ trait QWK ({files}; one classifier per trait)"]
    for algo in result.algorithms:
        for prompt, by_trait in sorted(algo.traits.items()):
            cells = "  ".join(f"{name} {q:.3f}" for name, q in by_trait.items())
            mean = np.mean(list(by_trait.values()))
            lines.append(f"{algo.algorithm_id:<10}P{prompt}  {cells}  mean {mean:.3f}")
        lines.append(f"{algo.algorithm_id:<10}mean over all traits {algo.trait_mean:.4f}")
    return lines


def _speed_section(result: AccuracyResult) -> list[str]:
    lines = [
        "",
        "Speed (this process; run on one core for per-core figures). Training: every ASAP",
        "criterion fit, each with a fresh feature cache; scoring: warm three-criterion rubric.",
        f"{'algorithm':<10}{'train s':>9}{'slowest fit':>22}{'largest set':>22}"
        f"{'essays/s':>10}{'model KiB':>11}{'load ms':>9}",
    ]
    for algo in result.algorithms:
        slowest = max(algo.fits, key=lambda f: f[2], default=(0, 0, 0.0))
        largest = max(algo.fits, key=lambda f: (f[1], f[2]), default=(0, 0, 0.0))
        fits = "".join(f"{f'{s:.2f}s (P{p}, {n})':>22}" for p, n, s in (slowest, largest))
        speed = algo.speed
        rate = f"{speed.essays_per_second:>10.0f}" if speed else f"{'-':>10}"
        size = f"{speed.model_bytes / 1024:>11.0f}" if speed else f"{'-':>11}"
        load = f"{speed.load_seconds * 1000:>9.1f}" if speed else f"{'-':>9}"
        lines.append(f"{algo.algorithm_id:<10}{algo.train_seconds:>9.1f}{fits}{rate}{size}{load}")
    return lines


def _calibration_section(result: AccuracyResult) -> list[str]:
    lines = ["", "Confidence calibration (all test predictions pooled)"]
    for algo in result.algorithms:
        for b in algo.calibration:
            figures = f"exact {b.exact:.3f}  within 1 point {b.adjacent:.3f}" if b.count else "-"
            lines.append(
                f"{algo.algorithm_id:<10}confidence {b.low:.1f}-{b.high:.1f}  n={b.count:<6}"
                + figures
            )
    return lines


def format_table(result: AccuracyResult, *, holistic: bool = True) -> str:
    """The benchmark's results as a plain-text report (ASAP++ traits alone without
    ``holistic``)."""
    lines = _qwk_section(result) if holistic else []
    if any(a.traits for a in result.algorithms):
        lines += _trait_section(result)[0 if holistic else 1 :]
    if holistic:
        lines += _speed_section(result)
        lines += _calibration_section(result)
    return "\n".join(lines)
