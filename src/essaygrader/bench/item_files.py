"""An ASAP prompt as the files a user gives the command line, and the agreement of the
grades the product gave back with the human scores.

``essaygrader bench item-files`` writes, outside the repository, one prompt's rubric (one
criterion, one option per point value: 61 options for prompt 8's 0-60 scale), its graded
examples (a fold's training ids), its essays to grade (the fold's evaluation ids) and
the human scores of those; ``essaygrader items create``, ``train``, ``submit`` and
``results`` then run on them as on any item, and ``essaygrader bench agreement`` compares
the exported results with the human scores.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from essaygrader.algorithms.metrics import (
    exact_agreement,
    quadratic_weighted_kappa,
    root_mean_squared_error,
)
from essaygrader.bench.datasets import ASAP_SCORE_RANGES, BenchmarkDataError, load_asap, read_folds
from essaygrader.domain.exports import write_csv

CRITERION = "score"
FILES = ("rubric.json", "prompt.txt", "training.csv", "essays.csv", "truth.csv")


def asap_rubric(prompt: int) -> dict[str, object]:
    """A one-criterion rubric with an option per point value of the prompt's range."""
    low, high = ASAP_SCORE_RANGES[prompt]
    options = [
        {"name": str(points), "points": points, "explanation": ""}
        for points in range(low, high + 1)
    ]
    return {"criteria": [{"name": CRITERION, "prompt": "Holistic score", "options": options}]}


@dataclass(frozen=True)
class ItemFiles:
    """What :func:`write_item_files` wrote."""

    folder: Path
    options: int
    examples: int
    essays: int


def write_item_files(
    data_dir: Path, prompt: int, out: Path, *, fold: int = 0, split: str = "test"
) -> ItemFiles:
    """Write one ASAP prompt as an item's files into ``out`` (created if needed).

    Args:
        data_dir: The ``asap`` folder.
        prompt: 1 to 8.
        out: The folder to write to; never the repository (the essays may not be copied
            into it).
        fold: The fold of the 5-fold split whose training ids become the graded examples.
        split: ``test`` (examples: train and dev ids; essays: test ids) or ``dev``.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
    """
    essays = load_asap(data_dir)
    train, scored = read_folds(data_dir)[fold].split(essays, prompt, split)
    out.mkdir(parents=True, exist_ok=True)
    rubric = asap_rubric(prompt)
    (out / "rubric.json").write_text(json.dumps(rubric, indent=1), encoding="utf-8")
    (out / "prompt.txt").write_text(f"ASAP prompt {prompt}\n", encoding="utf-8")
    with (out / "training.csv").open("w", encoding="utf-8", newline="") as handle:
        write_csv(
            handle, ["text", CRITERION], ({"text": e.text, CRITERION: str(e.score)} for e in train)
        )
    with (out / "essays.csv").open("w", encoding="utf-8", newline="") as handle:
        write_csv(
            handle,
            ["student_id", "text", "external_id"],
            (
                {"student_id": f"asap-{e.essay_id}", "text": e.text, "external_id": str(e.essay_id)}
                for e in scored
            ),
        )
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        write_csv(
            handle,
            ["student_id", CRITERION],
            ({"student_id": f"asap-{e.essay_id}", CRITERION: e.score} for e in scored),
        )
    options = len(rubric["criteria"][0]["options"])  # type: ignore[index]
    return ItemFiles(out, options, len(train), len(scored))


@dataclass(frozen=True)
class Agreement:
    """How the product's grades agree with the human scores."""

    essays: int
    ungraded: int
    qwk: float
    rmse: float
    exact: float

    def format(self) -> str:
        """One line of figures."""
        return (
            f"{self.essays} essays compared ({self.ungraded} without a grade): "
            f"QWK {self.qwk:.3f}, RMSE {self.rmse:.2f} points, exact agreement {self.exact:.3f}"
        )


def _points(path: Path, column: str) -> dict[str, int]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    try:
        return {row["student_id"]: int(row[column]) for row in rows if row.get(column)}
    except (KeyError, ValueError) as exc:
        raise BenchmarkDataError(f"{path}: column {column} is missing or not a number") from exc


def agreement(truth_csv: Path, results_csv: Path, prompt: int) -> Agreement:
    """Compare ``essaygrader results`` output with ``truth.csv`` by student id.

    Args:
        truth_csv: The human scores (``student_id``, ``score``).
        results_csv: What ``essaygrader results --format csv`` wrote.
        prompt: The ASAP prompt, whose score range QWK is computed over.

    Raises:
        BenchmarkDataError: A file lacks its columns, or no essay was graded.
    """
    truth = _points(truth_csv, CRITERION)
    given = _points(results_csv, f"{CRITERION}.points")
    shared = [s for s in truth if s in given]
    if not shared:
        raise BenchmarkDataError(f"no essay of {truth_csv} has a grade in {results_csv}")
    human, product = [truth[s] for s in shared], [given[s] for s in shared]
    low, high = ASAP_SCORE_RANGES[prompt]
    return Agreement(
        len(shared),
        len(truth) - len(shared),
        quadratic_weighted_kappa(human, product, list(range(low, high + 1))),
        root_mean_squared_error(human, product),
        exact_agreement(human, product),
    )
