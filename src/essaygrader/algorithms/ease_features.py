"""The ``ease`` algorithm's features, rebuilt on maintained libraries that work offline.

EASE measured lengths and counts, spelling errors (with aspell), "grammar" as
part-of-speech n-grams unseen in a reference corpus (with NLTK's tagger and downloaded
data), overlap with the prompt, and a bag of 1-2-grams reduced to the 200 most
score-discriminating by Fisher's exact test. Here spelling uses pyspellchecker's bundled
word list. For grammar, no maintained tagger on PyPI bundles its model (spaCy's English
models and NLTK's tagger data are separate downloads), so tokens are mapped to coarse
word classes instead (:func:`~.lexicon.word_class`: function words stay themselves,
other words become their shape, such as VING, ADV, NOUN, PLUR), and the reference
corpus is the word-class 2-4-grams that recur among the training essays scoring at or
above the median: a sequence no good essay uses counts as a grammar error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from essaygrader.algorithms.lexicon import FUNCTION_WORDS, word_class, word_info

COUNT_FEATURES = (
    "chars", "words", "commas", "apostrophes", "sentence_ends", "chars_per_word",
    "spelling_errors", "spelling_errors_per_char",
)  # fmt: skip
GRAMMAR_FEATURES = ("good_class_ngrams", "good_class_ngram_ratio")
PROMPT_FEATURES = ("prompt_overlap", "prompt_coverage")
CLASS_NGRAMS = (2, 4)
# A word-class n-gram must recur in this many good essays to count as grammatical.
REFERENCE_MIN_ESSAYS = 2


def count_features(tokens: Sequence[str], text: str) -> NDArray[np.float64]:
    """Lengths and counts of one essay, in :data:`COUNT_FEATURES` order."""
    words = [t for t in tokens if t[0].isalpha()]
    n = len(words)
    misspelled = sum(1 for w in words if not word_info(w)[0])
    ends = sum(text.count(mark) for mark in ".?!")
    apostrophes = text.count("'") + text.count("\u2019")
    return np.array(
        [
            len(text), n, text.count(","), apostrophes, ends,
            sum(len(w) for w in words) / max(n, 1), misspelled, misspelled / max(len(text), 1),
        ],
        dtype=np.float64,
    )  # fmt: skip


def class_ngrams(tokens: Sequence[str]) -> set[str]:
    """The distinct word-class 2-4-grams of an essay, classes joined by spaces."""
    classes = [word_class(t) for t in tokens]
    low, high = CLASS_NGRAMS
    return {
        " ".join(classes[i : i + n])
        for n in range(low, high + 1)
        for i in range(len(classes) - n + 1)
    }


def grammar_reference(essays: Sequence[set[str]], good: NDArray[np.bool_]) -> dict[str, int]:
    """How many good essays use each word-class n-gram found in at least two of them."""
    counts: Counter[str] = Counter()
    for grams, is_good in zip(essays, good, strict=True):
        if is_good:
            counts.update(grams)
    return {gram: count for gram, count in counts.items() if count >= REFERENCE_MIN_ESSAYS}


class GrammarReference:
    """Word-class n-grams that good essays share, for counting an essay's "good" n-grams.

    An essay that helped build the reference has its own n-grams discounted, as if it had
    been left out (a gram must then recur in one more good essay); otherwise training
    essays would look more grammatical than any new essay can, and scores would drift low.
    """

    def __init__(self, grams: Sequence[str], counts: Sequence[int]) -> None:
        self.grams = list(grams)
        self.counts = np.asarray(counts, dtype=np.int64)
        if len(self.grams) != len(self.counts):
            raise ValueError(f"{len(self.grams)} reference n-grams but {len(self.counts)} counts")
        self._shared = frozenset(self.grams)
        kept = np.flatnonzero(self.counts > REFERENCE_MIN_ESSAYS).tolist()
        self._shared_without_one = frozenset(self.grams[i] for i in kept)

    @classmethod
    def learn(cls, essays: Sequence[set[str]], good: NDArray[np.bool_]) -> GrammarReference:
        """The reference of :func:`grammar_reference`."""
        counts = grammar_reference(essays, good)
        return cls(list(counts), list(counts.values()))

    def features(self, grams: set[str], *, in_reference: bool) -> NDArray[np.float64]:
        """Good n-grams of an essay, absolute and as a share of its distinct n-grams."""
        good = len(grams & (self._shared_without_one if in_reference else self._shared))
        return np.array([good, good / max(len(grams), 1)], dtype=np.float64)


def prompt_features(tokens: Sequence[str], prompt_words: frozenset[str]) -> NDArray[np.float64]:
    """Share of the essay's words found in the prompt, share of prompt words the essay uses."""
    if not prompt_words:
        return np.zeros(len(PROMPT_FEATURES))
    words = [t for t in tokens if t[0].isalpha()]
    used = sum(1 for w in words if w in prompt_words)
    covered = len(prompt_words.intersection(words))
    return np.array([used / max(len(words), 1), covered / len(prompt_words)], dtype=np.float64)


def prompt_vocabulary(prompt_tokens: Sequence[str]) -> frozenset[str]:
    """The prompt's content words: the ones worth echoing."""
    return frozenset(t for t in prompt_tokens if t[0].isalpha() and t not in FUNCTION_WORDS)
