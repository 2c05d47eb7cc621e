"""Test data: a rubric, graded examples and essays, generated (no real essays)."""

from __future__ import annotations

import copy
import random
from typing import Any

RUBRIC: dict[str, Any] = {
    "criteria": [
        {
            "name": "ideas",
            "prompt": "How well are ideas developed?",
            "options": [
                {"name": "poor", "points": 0, "explanation": "Few ideas."},
                {"name": "fair", "points": 1, "explanation": "Some ideas."},
                {"name": "good", "points": 2, "explanation": "Developed ideas."},
            ],
        },
        {
            "name": "conventions",
            "prompt": "Spelling and grammar.",
            "options": [
                {"name": "many errors", "points": 0, "explanation": ""},
                {"name": "few errors", "points": 3, "explanation": ""},
            ],
        },
        {"name": "feedback", "prompt": "Comments for the student.", "options": []},
    ]
}

WORDS = [
    "garden",
    "tomato",
    "soil",
    "water",
    "neighbours",
    "parking",
    "street",
    "town",
    "council",
    "bees",
    "flowers",
    "children",
    "school",
    "evidence",
    "because",
    "therefore",
    "however",
    "community",
    "lot",
    "maple",
]


def rubric(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`RUBRIC`, safe to modify."""
    value = copy.deepcopy(RUBRIC)
    value.update(changes)
    return value


def essay(words: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def examples(count: int = 30, seed: int = 0) -> list[dict[str, Any]]:
    """Graded examples whose scores follow their length, as the fake algorithm learns."""
    result = []
    for i in range(count):
        level = i % 3
        text = essay(20 + 40 * level + i % 5, seed=seed * 1000 + i)
        result.append(
            {
                "text": text,
                "options_selected": {
                    "ideas": ("poor", "fair", "good")[level],
                    "conventions": ("many errors", "few errors")[level >= 1],
                },
            }
        )
    return result


def sample_metrics(rubric: dict[str, Any] = RUBRIC, *, passed: bool = True) -> dict[str, Any]:
    """Cross-validated quality in the shape training records, with made-up numbers."""
    criteria = {}
    for n, criterion in enumerate(c for c in rubric["criteria"] if c["options"]):
        labels = sorted(o["points"] for o in criterion["options"])
        size = len(labels)
        matrix = [
            [(8 if i == j else 1 + (i + j + n) % 3) for j in range(size)] for i in range(size)
        ]
        criteria[criterion["name"]] = {
            "qwk": round(0.8 - 0.1 * n, 3),
            "exact": round(0.7 - 0.05 * n, 3),
            "adjacent": 0.95,
            "examples": sum(map(sum, matrix)),
            "distribution": {str(p): sum(row) for p, row in zip(labels, matrix, strict=True)},
            "confusion": {"labels": labels, "matrix": matrix},
        }
    qwks = [c["qwk"] for c in criteria.values()]
    return {
        "folds": 5,
        "mean_qwk": round(sum(qwks) / len(qwks), 3),
        "min_qwk": min(qwks),
        "passed_quality_gate": passed,
        "criteria": criteria,
    }


def train_with_metrics(
    runtime: Any, course_id: str, item_id: str, metrics: dict[str, Any] | None, count: int = 30
) -> str:
    """Train an item the way a worker does, recording ``metrics`` on the classifier set.

    Returns the classifier set's uuid. The queued training task finds the workflow
    complete and does nothing; grading released by the new set is left queued.
    """
    worker = runtime.worker
    uuid = runtime.client.train_classifiers(course_id, item_id, examples(count))[
        "training_workflow_uuid"
    ]
    task = worker.begin_training(uuid)
    texts = [e.text for e in task.examples]
    stored = {}
    for criterion in task.criteria:
        classifier = worker.algorithms.new(task.algorithm_id)
        classifier.fit(
            texts,
            [e.scores[criterion.name] for e in task.examples],
            valid_points=list(criterion.valid_points),
        )
        stored[criterion.name] = worker.store_classifier(classifier)
    return str(worker.create_classifiers(uuid, stored, metrics=metrics))
