"""``default`` and ``ease`` keep their predictions unless a change means to move them.

The pinned scores and out-of-fold points of ``pinned_predictions.json`` were made on
synthetic essays. A refactoring must leave them identical; a change that is meant to
alter accuracy says so in its commit and regenerates them with
``python -m tests.unit.algorithms.test_pinned_predictions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from essaygrader.algorithms.base import CriterionClassifier
from essaygrader.algorithms.default import DefaultClassifier
from essaygrader.algorithms.ease import EaseClassifier

from .synthetic import graded_essays

PINNED = Path(__file__).with_name("pinned_predictions.json")
CASES: dict[str, tuple[Callable[[], CriterionClassifier], list[int]]] = {
    "default": (DefaultClassifier, list(range(9))),
    "default-stacked": (lambda: DefaultClassifier(blend=0.5), list(range(9))),
    "ease": (EaseClassifier, [0, 1, 2, 3, 4]),
    "ease-regression": (EaseClassifier, list(range(1, 9))),
}


def predictions(case: str) -> dict[str, Any]:
    """Out-of-fold points and scores of unseen essays for one case."""
    make, points = CASES[case]
    texts, earned = graded_essays(72, points, seed=21)
    classifier = make().fit(texts, earned, valid_points=points)
    scores = classifier.predict(graded_essays(27, points, seed=22)[0])
    return {
        "oof": classifier.oof_points_,
        "scores": [[score.points, score.confidence] for score in scores],
    }


@pytest.mark.parametrize("case", CASES)
def test_predictions_are_the_pinned_ones(case: str) -> None:
    assert predictions(case) == json.loads(PINNED.read_text())[case]


if __name__ == "__main__":
    lines = [
        f"  {json.dumps(case)}: {json.dumps(predictions(case), separators=(',', ':'))}"
        for case in CASES
    ]
    PINNED.write_text("{\n" + ",\n".join(lines) + "\n}\n")
