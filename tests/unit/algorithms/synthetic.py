"""Synthetic graded essays: made-up text whose score follows length, vocabulary and spelling.

No real essay text is used in tests; these essays only need to be learnable.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

PLAIN = str.split(
    "the dog ran to a park and it was fun we saw many people there my friend said hello "
    "then we went home because it got late and i was tired but happy"
)
RICH = str.split(
    "consequently remarkable perspective community significant furthermore demonstrate "
    "environment opportunity responsibility nevertheless meaningful appreciate experience "
    "technology knowledge encourage influence essential abundant"
)


def _misspell(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def essay(rank: float, rng: random.Random) -> str:
    """One essay; ``rank`` in [0, 1] sets how good it looks."""
    sentences = []
    for _ in range(2 + round(8 * rank) + rng.randrange(2)):
        words = []
        for _ in range(rng.randrange(6, 13)):
            word = rng.choice(RICH) if rng.random() < 0.1 + 0.5 * rank else rng.choice(PLAIN)
            if rng.random() < 0.25 * (1 - rank):
                word = _misspell(word, rng)
            words.append(word)
        sentence = " ".join(words)
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice("..!?" if rank else "."))
    return " ".join(sentences)


def graded_essays(
    count: int, points: Sequence[int], *, seed: int = 0
) -> tuple[list[str], list[int]]:
    """``count`` essays cycling through ``points`` (sorted low to high), with their points."""
    rng = random.Random(seed)
    ordered = sorted(points)
    texts, earned = [], []
    for i in range(count):
        point = ordered[i % len(ordered)]
        rank = ordered.index(point) / max(len(ordered) - 1, 1)
        texts.append(essay(rank, rng))
        earned.append(point)
    return texts, earned
