"""The item profile: what the flags know about an item, learned at training.

Built from the graded examples and the item's prompt, kept with the classifier set as
JSON. It holds numbers and single words only, never an essay's text: the word-count
distribution, a topic centroid (the item's characteristic words with their weights) and
hashes of the prompt's word 3-grams. The flag thresholds are fixed here, at training,
from the item's own essays, so that grading compares one essay against fixed numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from essaygrader.algorithms.flags.text import shingles, words_of
from essaygrader.algorithms.lexicon import FUNCTION_WORDS, corpus_count, corpus_total

PROFILE_VERSION = 1
PROMPT_SHINGLE_WORDS = 3
TOPIC_TERMS = 3000
# Bounds a stored profile must keep to be loaded (a damaged or forged one is refused).
MAX_PROMPT_SHINGLES = 100_000
MAX_TERM_CHARS = 100
# Topicality weighs each word by how much more often the item's essays use it than English
# at large (log of the ratio of the two frequencies; pyspellchecker's list is the
# background). Words the list lacks count as seen this often in it, per billion words.
_BACKGROUND_UNKNOWN_PER_BILLION = 50.0
_MAX_SPECIFICITY = 6.0
_MIN_TERM_ESSAYS = 3

# Thresholds, measured on ASAP (README, "Advisory flags"; essaygrader bench flags).
TOO_SHORT_QUANTILE = 0.01
TOO_SHORT_FACTOR = 0.5
TOO_SHORT_MAX_WORDS = 40
OFF_TOPIC_QUANTILE = 0.01
OFF_TOPIC_FACTOR = 1.0
KEY_TERMS = 10
KEY_TERMS_QUANTILE = 0.005
KEY_TERMS_FACTOR = 0.9
# Below this many graded essays a 1st percentile is little more than the lowest score, so
# the off-topic thresholds are also bounded by the scores' mean less SMALL_ITEM_SPREADS
# standard deviations (if lower, down to half the quantile): few essays mean fewer false
# flags, not more.
SMALL_ITEM_ESSAYS = 300
SMALL_ITEM_SPREADS = 3.0


@dataclass(frozen=True)
class ItemProfile:
    """What the flags compare an essay with; JSON-serialisable through :meth:`to_json`.

    Attributes:
        essays: How many graded essays it was built from.
        words_median: The median word count of those essays.
        too_short_below: Fewer words than this is ``too_short``.
        topic_terms: The item's characteristic words.
        topic_weights: Their weights (:func:`term_weight`).
        off_topic_below: A topicality (mean weight of the essay's content words) below
            this is ``off_topic``.
        key_terms_below: A :func:`key_term_coverage` below this is ``off_topic`` too.
        prompt_shingles: Hashes of the prompt's word 3-grams.
    """

    essays: int
    words_median: float
    too_short_below: int
    topic_terms: tuple[str, ...]
    topic_weights: tuple[float, ...]
    off_topic_below: float
    key_terms_below: float
    prompt_shingles: tuple[int, ...]
    version: int = PROFILE_VERSION

    def to_json(self) -> dict[str, Any]:
        """The profile as plain JSON values."""
        data = asdict(self)
        data["topic_terms"] = list(self.topic_terms)
        data["topic_weights"] = list(self.topic_weights)
        data["prompt_shingles"] = list(self.prompt_shingles)
        return data

    @classmethod
    def from_json(cls, data: Any) -> ItemProfile:
        """A profile from :meth:`to_json`'s output, checked before it is trusted.

        Raises:
            ValueError: ``data`` is not a profile of this version, or breaks its bounds
                (more than :data:`TOPIC_TERMS` terms or :data:`MAX_PROMPT_SHINGLES`
                shingles, a number that is not finite, a negative count).
        """
        if not isinstance(data, dict) or data.get("version") != PROFILE_VERSION:
            raise ValueError(f"not an item profile of version {PROFILE_VERSION}")
        try:
            raw_terms, raw_weights = data["topic_terms"], data["topic_weights"]
            raw_shingles = data["prompt_shingles"]
            if not all(isinstance(v, list) for v in (raw_terms, raw_weights, raw_shingles)):
                raise ValueError("topic_terms, topic_weights and prompt_shingles must be lists")
            if len(raw_terms) > TOPIC_TERMS or len(raw_shingles) > MAX_PROMPT_SHINGLES:
                raise ValueError(
                    f"item profile too large: {len(raw_terms)} terms (at most {TOPIC_TERMS}), "
                    f"{len(raw_shingles)} prompt shingles (at most {MAX_PROMPT_SHINGLES})"
                )
            if len(raw_terms) != len(raw_weights):
                raise ValueError("topic_terms and topic_weights differ in length")
            if not all(isinstance(t, str) and 0 < len(t) <= MAX_TERM_CHARS for t in raw_terms):
                raise ValueError(f"topic_terms must be words of 1 to {MAX_TERM_CHARS} characters")
            if not all(isinstance(h, int) and 0 <= h < 2**63 for h in raw_shingles):
                raise ValueError("prompt_shingles must be 63-bit hashes")
            profile = cls(
                essays=int(data["essays"]),
                words_median=float(data["words_median"]),
                too_short_below=int(data["too_short_below"]),
                topic_terms=tuple(raw_terms),
                topic_weights=tuple(float(w) for w in raw_weights),
                off_topic_below=float(data["off_topic_below"]),
                key_terms_below=float(data["key_terms_below"]),
                prompt_shingles=tuple(raw_shingles),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"item profile is incomplete: {exc}") from exc
        numbers = (
            profile.words_median,
            profile.off_topic_below,
            profile.key_terms_below,
            *profile.topic_weights,
        )
        if not all(math.isfinite(n) for n in numbers):
            raise ValueError("item profile holds a number that is not finite")
        if profile.essays < 1 or profile.too_short_below < 0:
            raise ValueError("item profile counts must not be negative")
        return profile


def background_share(word: str) -> float:
    """A word's share of English at large, from the word-frequency list."""
    count = corpus_count(word)
    if count is None:
        return _BACKGROUND_UNKNOWN_PER_BILLION / 1e9
    return count / corpus_total()


def content_words(words: Sequence[str]) -> list[str]:
    """The words that can carry a topic: no function words, no single letters."""
    return [w for w in words if w not in FUNCTION_WORDS and len(w) > 1]


def term_weight(item_share: float, essay_share: float, word: str) -> float:
    """A word's weight for the item's topic.

    The square of its specificity (the log of how much more the item's essays use it than
    English does, from 0 to 6) times the share of the item's essays that use it: words
    that are both peculiar to the item and common across its essays. Measured on ASAP
    against plain specificity and its other products, this separated essays of other
    prompts best.
    """
    if item_share <= 0:
        return 0.0
    ratio = math.log(item_share / background_share(word))
    return min(_MAX_SPECIFICITY, max(0.0, ratio)) ** 2 * essay_share


def key_term_coverage(words: Iterable[str], key: dict[str, float]) -> float:
    """The weighted share of the item's key terms (its :data:`KEY_TERMS` heaviest) that
    the essay uses at least once.

    A second view of topicality: an essay on the item's question nearly always names what
    the question is about ("laughter", "computers"), while the mean weight alone can be
    fooled by an essay in the same register on another question.
    """
    total = sum(key.values())
    return sum(key.get(w, 0.0) for w in set(words)) / total if total else 1.0


def hash_shingle(shingle: str) -> int:
    """A stable 63-bit hash of a shingle (fits a JSON number in most readers' int64)."""
    digest = hashlib.blake2b(shingle.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def prompt_hashes(prompt: str) -> tuple[int, ...]:
    """The sorted hashes of the prompt's word 3-grams."""
    return tuple(
        sorted({hash_shingle(s) for s in shingles(words_of(prompt), PROMPT_SHINGLE_WORDS)})
    )


def _lower_bound(values: Sequence[float], quantile: float) -> float:
    """The ``quantile`` of the values; for a small item, no more than their mean less
    :data:`SMALL_ITEM_SPREADS` standard deviations, but at least half the quantile."""
    found = float(np.quantile(values, quantile))
    if len(values) < SMALL_ITEM_ESSAYS:
        spread = float(np.mean(values)) - SMALL_ITEM_SPREADS * float(np.std(values))
        found = max(found / 2, min(found, spread))
    return found


def build_profile(texts: Sequence[str], prompt: str = "") -> ItemProfile:
    """Learn an item's profile from its graded essays and its prompt.

    Args:
        texts: The graded example essays (at least one).
        prompt: The item's prompt; its words count as one more essay's.

    Raises:
        ValueError: No essays.
    """
    if not texts:
        raise ValueError("an item profile needs at least one graded essay")
    words = [words_of(t) for t in texts]
    lengths = np.array([len(w) for w in words], dtype=np.float64)
    low = float(np.quantile(lengths, TOO_SHORT_QUANTILE))
    too_short_below = int(min(TOO_SHORT_MAX_WORDS, math.floor(TOO_SHORT_FACTOR * low)))

    essay_counts = [Counter(content_words(w)) for w in words]
    counts: Counter[str] = Counter()
    essays_using: Counter[str] = Counter()
    for own in [*essay_counts, Counter(content_words(words_of(prompt)))]:
        counts.update(own)
        essays_using.update(own.keys())
    total = sum(counts.values()) or 1
    members = len(essay_counts) + 1
    least = min(_MIN_TERM_ESSAYS, members - 1)
    weights = {
        w: term_weight(c / total, essays_using[w] / members, w)
        for w, c in counts.items()
        if essays_using[w] >= least
    }
    top = sorted((w for w in weights if weights[w] > 0), key=lambda w: -weights[w])[:TOPIC_TERMS]
    # Each essay is scored as if the profile had been learned without it, so that the
    # threshold is not flattered by the essay's own words.
    scores = []
    for own in essay_counts:
        rest = max(total - sum(own.values()), 1)
        held_out = {
            w: term_weight((counts[w] - n) / rest, (essays_using[w] - 1) / (members - 1), w)
            for w, n in own.items()
            if essays_using[w] - 1 >= least
        }
        scores.append(sum(n * held_out.get(w, 0.0) for w, n in own.items()) / max(own.total(), 1))
    off_topic_below = OFF_TOPIC_FACTOR * _lower_bound(scores, OFF_TOPIC_QUANTILE)
    key = {w: weights[w] for w in top[:KEY_TERMS]}
    coverage = [key_term_coverage(own.keys(), key) for own in essay_counts]
    key_terms_below = KEY_TERMS_FACTOR * _lower_bound(coverage, KEY_TERMS_QUANTILE)
    return ItemProfile(
        essays=len(texts),
        words_median=float(np.median(lengths)),
        too_short_below=too_short_below,
        topic_terms=tuple(top),
        topic_weights=tuple(round(weights[w], 5) for w in top),
        off_topic_below=round(off_topic_below, 6),
        key_terms_below=round(key_terms_below, 6),
        prompt_shingles=prompt_hashes(prompt),
    )
