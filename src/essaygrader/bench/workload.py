"""The load benchmark's item: a two-criterion rubric, graded examples and essays.

Generated, not real: the same seed gives the same texts on every machine. Essays run
from about 150 to 450 words, the length of a typical short-answer essay, and the
examples' scores follow their length, which every algorithm can learn.
"""

from __future__ import annotations

import random
from typing import Any

RUBRIC: dict[str, Any] = {
    "criteria": [
        {
            "name": "ideas",
            "prompt": "How well are the ideas developed and supported?",
            "options": [
                {"name": "missing", "points": 0, "explanation": "No clear idea."},
                {"name": "thin", "points": 1, "explanation": "An idea, barely supported."},
                {"name": "developed", "points": 2, "explanation": "Ideas with support."},
                {"name": "rich", "points": 3, "explanation": "Ideas with varied support."},
            ],
        },
        {
            "name": "organisation",
            "prompt": "Is the essay organised?",
            "options": [
                {"name": "disorganised", "points": 0, "explanation": ""},
                {"name": "partly", "points": 1, "explanation": ""},
                {"name": "organised", "points": 2, "explanation": ""},
            ],
        },
    ]
}
PROMPT = "Should the town turn the empty parking lot into a community garden? Explain why."

_VOCABULARY = (
    "garden parking lot town council neighbours children school bees flowers tomatoes "
    "soil water compost shade trees benches volunteers weekend market vegetables rain "
    "summer winter evidence example because therefore however although moreover first "
    "second finally people families elderly health exercise food fresh local cost money "
    "budget maintenance safety noise traffic cars space green city street community "
    "together learn grow share harvest plant seeds fence path playground insects birds "
    "pollution air clean quiet busy shops owners visitors tourists survey study report"
)
_WORDS = _VOCABULARY.split()
_LEVELS = {
    "ideas": ("missing", "thin", "developed", "rich"),
    "organisation": ("disorganised", "partly", "organised"),
}


def essay_text(words: int, seed: int) -> str:
    """A generated essay of about ``words`` words, in sentences of 8 to 20 words."""
    rng = random.Random(seed)
    sentences = []
    remaining = words
    while remaining > 0:
        length = min(remaining, rng.randint(8, 20))
        sentence = " ".join(rng.choice(_WORDS) for _ in range(length))
        sentences.append(sentence.capitalize() + rng.choice("...?!"))
        remaining -= length
    return " ".join(sentences)


def training_examples(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """Graded examples whose scores rise with their length."""
    rng = random.Random(seed)
    examples = []
    for i in range(count):
        level = i % 4
        words = 150 + 100 * level + rng.randint(-30, 30)
        examples.append(
            {
                "text": essay_text(words, seed * 1_000_003 + i),
                "options_selected": {
                    "ideas": _LEVELS["ideas"][level],
                    "organisation": _LEVELS["organisation"][min(level, 2)],
                },
            }
        )
    return examples


def essays(count: int, seed: int = 2) -> list[dict[str, Any]]:
    """Essays to submit, as ``submit_many`` takes them."""
    rng = random.Random(seed)
    return [
        {
            "student_id": f"student-{i}",
            "answer": essay_text(rng.randint(150, 450), seed * 1_000_003 + i),
        }
        for i in range(count)
    ]
