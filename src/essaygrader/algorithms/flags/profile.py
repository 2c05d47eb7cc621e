"""The item profile: what the flags know about an item, learned at training.

Built from the graded examples and the item's prompt, kept with the classifier set as
JSON. It holds numbers and word stems only, never an essay's text: the word-count
distribution, the item's characteristic stems with their weights, its key stems with the
share of its essays that use each, and hashes of the prompt's word 3-grams. The flag
thresholds are fixed here, at training, from the item's own essays, so that grading
compares one essay against fixed numbers.

Topic is judged on stems, a word's first :data:`STEM_CHARS` letters ("laughter",
"laughed" and "laughing" are all ``laugh``), so that an essay is not judged off topic for
using another form of the item's words.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from essaygrader.algorithms.flags.text import shingles, words_of
from essaygrader.algorithms.lexicon import FUNCTION_WORDS, corpus_total, word_frequencies

PROFILE_VERSION = 3
# Version 1 profiles (word-based topic terms) still load; their off-topic check is off until
# the item is trained again. Version 2 profiles (no key-stem slopes) load and judge topic
# as they did, the key stems' chance of use not growing with the essay's length.
_OLD_VERSIONS = (1, 2)
PROMPT_SHINGLE_WORDS = 3
TOPIC_TERMS = 3000
STEM_CHARS = 5
# Bounds a stored profile must keep to be loaded (a damaged or forged one is refused).
MAX_PROMPT_SHINGLES = 100_000
MAX_TERM_CHARS = 100
# Topicality weighs each stem by how much more often the item's essays use it than English
# at large (log of the ratio of the two frequencies; pyspellchecker's list, its words
# summed by stem, is the background). Stems the list lacks count as seen this often in it,
# per billion words.
_BACKGROUND_UNKNOWN_PER_BILLION = 50.0
_MAX_SPECIFICITY = 6.0
_MIN_TERM_ESSAYS = 3

# Thresholds, measured on ASAP (README, "Advisory flags"; essaygrader bench flags).
TOO_SHORT_QUANTILE = 0.01
TOO_SHORT_FACTOR = 0.5
TOO_SHORT_MAX_WORDS = 40
# off_topic: an essay of at least OFF_TOPIC_MIN_WORDS words whose topic score (below) is
# under the OFF_TOPIC_QUANTILE of the graded essays' scores, each scored as if left out.
OFF_TOPIC_MIN_WORDS = 20
OFF_TOPIC_QUANTILE = 0.008
# The topic score adds the evidence of the KEY_TERMS key stems (in units of its spread
# over the graded essays) and TOPICALITY_WEIGHT times the topicality (in units of its
# median).
KEY_TERMS = 30
TOPICALITY_WEIGHT = 2.0
# Bounds of the shares in the key-stem evidence (no stem proves or disproves alone).
_SHARE_BOUNDS = (0.01, 0.99)
_CHANCE_BOUNDS = (1e-4, 0.99)
# A key stem's slope (how its log-odds of use grow with the log of the essay's length) is
# fitted when the item has this many graded essays, and kept within these bounds.
MIN_SLOPE_ESSAYS = 20
MAX_SLOPE = 10.0
# Below this many graded essays a percentile is little more than the lowest score, so the
# off-topic threshold is also bounded by the scores' mean less SMALL_ITEM_SPREADS standard
# deviations (if lower, down to half the quantile): few essays mean fewer false flags,
# not more.
SMALL_ITEM_ESSAYS = 300
SMALL_ITEM_SPREADS = 3.0


@dataclass(frozen=True)
class ItemProfile:
    """What the flags compare an essay with; JSON-serialisable through :meth:`to_json`.

    Attributes:
        essays: How many graded essays it was built from.
        words_median: The median word count of those essays.
        too_short_below: Fewer words than this is ``too_short``.
        topic_terms: The item's characteristic stems.
        topic_weights: Their weights (:func:`term_weight`).
        key_terms: The :data:`KEY_TERMS` heaviest stems.
        key_shares: The share of the item's essays (and prompt) that use each.
        topic_scale: The median topicality of the graded essays.
        evidence_scale: The spread (standard deviation) of their key-stem evidence.
        off_topic_below: A :func:`topic_score` below this is ``off_topic``.
        prompt_shingles: Hashes of the prompt's word 3-grams.
        stems_median: The median count of content stems in the graded essays.
        key_slopes: Per key stem, how much more its use grows than its share says in an
            essay longer than ``stems_median`` (:func:`key_evidence`); empty in a
            version 2 profile.
        version: :data:`PROFILE_VERSION`; a version 1 profile, loaded from a set trained
            before stems, has no key stems and no off-topic check.
    """

    essays: int
    words_median: float
    too_short_below: int
    topic_terms: tuple[str, ...]
    topic_weights: tuple[float, ...]
    key_terms: tuple[str, ...]
    key_shares: tuple[float, ...]
    topic_scale: float
    evidence_scale: float
    off_topic_below: float
    prompt_shingles: tuple[int, ...]
    stems_median: float = 0.0
    key_slopes: tuple[float, ...] = ()
    version: int = PROFILE_VERSION

    @cached_property
    def weight_of(self) -> dict[str, float]:
        """Each topic stem's weight, looked up once per profile rather than per essay."""
        return dict(zip(self.topic_terms, self.topic_weights, strict=True))

    @property
    def judges_topic(self) -> bool:
        """Whether the profile can judge ``off_topic`` (a version 1 profile cannot)."""
        return bool(self.key_terms) and self.topic_scale > 0 and self.evidence_scale > 0

    def to_json(self) -> dict[str, Any]:
        """The profile as plain JSON values."""
        data = asdict(self)
        data["topic_terms"] = list(self.topic_terms)
        data["topic_weights"] = list(self.topic_weights)
        data["key_terms"] = list(self.key_terms)
        data["key_shares"] = list(self.key_shares)
        data["prompt_shingles"] = list(self.prompt_shingles)
        data["key_slopes"] = list(self.key_slopes)
        return data

    @classmethod
    def from_json(cls, data: Any) -> ItemProfile:
        """A profile from :meth:`to_json`'s output, checked before it is trusted.

        A version 1 profile loads without its topic terms (they were words, not stems):
        every check but ``off_topic`` works with it.

        Raises:
            ValueError: ``data`` is not a profile of a known version, or breaks its
                bounds (more than :data:`TOPIC_TERMS` terms or :data:`MAX_PROMPT_SHINGLES`
                shingles, a number that is not finite, a negative count, a share outside
                0 to 1).
        """
        if not isinstance(data, dict) or data.get("version") not in (
            PROFILE_VERSION,
            *_OLD_VERSIONS,
        ):
            raise ValueError(f"not an item profile of version {PROFILE_VERSION}")
        old = data["version"] == 1
        sloped = data["version"] >= 3
        try:
            raw_shingles = data["prompt_shingles"]
            if old:
                raw_terms, raw_weights, raw_keys, raw_shares = [], [], [], []
            else:
                raw_terms, raw_weights = data["topic_terms"], data["topic_weights"]
                raw_keys, raw_shares = data["key_terms"], data["key_shares"]
            raw_slopes = data["key_slopes"] if sloped else []
            lists = (raw_terms, raw_weights, raw_keys, raw_shares, raw_shingles, raw_slopes)
            if not all(isinstance(v, list) for v in lists):
                raise ValueError(
                    "topic_terms, topic_weights, key_terms, key_shares, key_slopes and "
                    "prompt_shingles must be lists"
                )
            if raw_slopes and len(raw_slopes) != len(raw_keys):
                raise ValueError("key_terms and key_slopes differ in length")
            if len(raw_terms) > TOPIC_TERMS or len(raw_shingles) > MAX_PROMPT_SHINGLES:
                raise ValueError(
                    f"item profile too large: {len(raw_terms)} terms (at most {TOPIC_TERMS}), "
                    f"{len(raw_shingles)} prompt shingles (at most {MAX_PROMPT_SHINGLES})"
                )
            if len(raw_terms) != len(raw_weights) or len(raw_keys) != len(raw_shares):
                raise ValueError(
                    "topic_terms and topic_weights, or key_terms and key_shares, differ in length"
                )
            if len(raw_keys) > KEY_TERMS:
                raise ValueError(f"item profile too large: more than {KEY_TERMS} key terms")
            if not all(
                isinstance(t, str) and 0 < len(t) <= MAX_TERM_CHARS for t in [*raw_terms, *raw_keys]
            ):
                raise ValueError(f"topic_terms must be words of 1 to {MAX_TERM_CHARS} characters")
            if not all(isinstance(h, int) and 0 <= h < 2**63 for h in raw_shingles):
                raise ValueError("prompt_shingles must be 63-bit hashes")
            profile = cls(
                essays=int(data["essays"]),
                words_median=float(data["words_median"]),
                too_short_below=int(data["too_short_below"]),
                topic_terms=tuple(raw_terms),
                topic_weights=tuple(float(w) for w in raw_weights),
                key_terms=tuple(raw_keys),
                key_shares=tuple(float(v) for v in raw_shares),
                topic_scale=0.0 if old else float(data["topic_scale"]),
                evidence_scale=0.0 if old else float(data["evidence_scale"]),
                off_topic_below=0.0 if old else float(data["off_topic_below"]),
                prompt_shingles=tuple(raw_shingles),
                stems_median=float(data["stems_median"]) if sloped else 0.0,
                key_slopes=tuple(float(v) for v in raw_slopes),
                version=int(data["version"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"item profile is incomplete: {exc}") from exc
        numbers = (
            profile.words_median,
            profile.topic_scale,
            profile.evidence_scale,
            profile.off_topic_below,
            profile.stems_median,
            *profile.topic_weights,
            *profile.key_shares,
            *profile.key_slopes,
        )
        if not all(math.isfinite(n) for n in numbers):
            raise ValueError("item profile holds a number that is not finite")
        if profile.essays < 1 or profile.too_short_below < 0:
            raise ValueError("item profile counts must not be negative")
        if not all(0.0 <= v <= 1.0 for v in profile.key_shares):
            raise ValueError("key_shares must be shares from 0 to 1")
        if profile.stems_median < 0 or not all(0.0 <= v <= MAX_SLOPE for v in profile.key_slopes):
            raise ValueError(
                f"stems_median must not be negative, key_slopes must be from 0 to {MAX_SLOPE}"
            )
        return profile


def stem(word: str) -> str:
    """A word's stem for judging topic: its first :data:`STEM_CHARS` letters."""
    return word[:STEM_CHARS]


def topic_stems(words: Sequence[str]) -> list[str]:
    """The stems of the words that can carry a topic (:func:`content_words`)."""
    return [stem(w) for w in content_words(words)]


@cache
def _stem_counts() -> dict[str, int]:
    counts: Counter[str] = Counter()
    for word, count in word_frequencies().items():
        counts[stem(word)] += count
    return dict(counts)


def background_share(term: str) -> float:
    """A stem's share of English at large: the word-frequency list's words with that stem."""
    count = _stem_counts().get(term)
    if count is None:
        return _BACKGROUND_UNKNOWN_PER_BILLION / 1e9
    return count / corpus_total()


# What is left of contractions once apostrophes split words ("didn't": "didn", "t"), and
# their common spellings without one: function words the word list does not know, which
# would otherwise look peculiar to any item whose essays tell a story.
CONTRACTION_PARTS = frozenset(
    str.split(
        "ain aren couldn didn doesn don hadn hasn haven isn ll mightn mustn needn re shan "
        "shouldn ve wasn weren won wouldn cant couldnt didnt doesnt dont hadnt hasnt havent "
        "hes id im isnt ive shes thats theres theyre theyve wasnt werent whats wont wouldnt "
        "youre youve"
    )
)


def content_words(words: Sequence[str]) -> list[str]:
    """The words that can carry a topic: no function words or contractions, no single
    letters."""
    return [
        w for w in words if w not in FUNCTION_WORDS and w not in CONTRACTION_PARTS and len(w) > 1
    ]


def term_weight(item_share: float, essay_share: float, word: str) -> float:
    """A stem's weight for the item's topic.

    The square of its specificity (the log of how much more the item's essays use it than
    English does, from 0 to 6) times the share of the item's essays that use it: stems
    that are both peculiar to the item and common across its essays. Measured on ASAP
    against plain specificity and its other products, this separated essays of other
    prompts best.
    """
    if item_share <= 0:
        return 0.0
    ratio = math.log(item_share / background_share(word))
    return min(_MAX_SPECIFICITY, max(0.0, ratio)) ** 2 * essay_share


def key_evidence(
    stems: Sequence[str],
    key: Iterable[tuple[str, float]],
    *,
    typical: float = 0.0,
    slopes: Sequence[float] = (),
) -> float:
    """How much more likely the essay's use of the key stems is on the item than off it.

    A naive Bayes log-likelihood ratio over the key stems, each used or not: on the item,
    a stem is used with its share of the item's essays; off it, with the chance that an
    essay of this many content words uses it in English at large. An essay on the item's
    question nearly always names what the question is about ("laughter", "computers"),
    which essays on other questions seldom do, while the topicality alone can be fooled
    by an essay in the same register on another question.

    An essay longer than ``typical`` content stems is more likely to use a key stem on
    the item too: its log-odds of use grow by the stem's slope times the log of the
    essay's length over ``typical``, so that a long essay that never uses the item's key
    words counts further from the item than a typical one. Shorter essays keep the
    item's share (on ASAP, lowering it for them let short essays of other prompts
    through).

    Args:
        stems: The essay's content stems (:func:`topic_stems`).
        key: The key stems with the share of the item's essays that use each.
        typical: The item's median count of content stems; 0 leaves every share as it is.
        slopes: Per key stem, its slope (:func:`key_slopes`); empty for none.
    """
    used = set(stems)
    size = len(stems)
    stretch = math.log(size / typical) if typical > 0 and size > typical else 0.0
    evidence = 0.0
    for i, (term, share) in enumerate(key):
        on = min(_SHARE_BOUNDS[1], max(_SHARE_BOUNDS[0], share))
        if stretch > 0 and i < len(slopes) and slopes[i] > 0:
            on = 1.0 / (1.0 + (1.0 - on) / on * math.exp(-slopes[i] * stretch))
            on = min(_SHARE_BOUNDS[1], on)
        off = 1.0 - (1.0 - background_share(term)) ** size
        off = min(_CHANCE_BOUNDS[1], max(_CHANCE_BOUNDS[0], off))
        if term in used:
            evidence += math.log(on / off)
        else:
            evidence += math.log((1.0 - on) / (1.0 - off))
    return evidence


def topicality(stems: Sequence[str], weights: dict[str, float]) -> float:
    """The mean item weight of the essay's stems (0 for stems the item lacks)."""
    if not stems:
        return 0.0
    return sum(weights.get(t, 0.0) for t in stems) / len(stems)


def topic_score(stems: Sequence[str], profile: ItemProfile) -> float:
    """How much the essay is on the item's topic: its key-stem evidence in units of the
    graded essays' spread, plus :data:`TOPICALITY_WEIGHT` times its topicality in units of
    their median. Two views of one question; together they separate essays of other
    questions better than either (README, "Advisory flags")."""
    key = zip(profile.key_terms, profile.key_shares, strict=True)
    return _combine(
        key_evidence(stems, key, typical=profile.stems_median, slopes=profile.key_slopes),
        topicality(stems, profile.weight_of),
        profile.evidence_scale,
        profile.topic_scale,
    )


def _combine(evidence: float, topical: float, evidence_scale: float, topic_scale: float) -> float:
    return evidence / evidence_scale + TOPICALITY_WEIGHT * topical / topic_scale


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

    essay_stems = [topic_stems(w) for w in words]
    essay_counts = [Counter(stems) for stems in essay_stems]
    sizes = [len(stems) for stems in essay_stems]
    stems_median = float(np.median(sizes))
    counts: Counter[str] = Counter()
    essays_using: Counter[str] = Counter()
    for own in [*essay_counts, Counter(topic_stems(words_of(prompt)))]:
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
    key = top[:KEY_TERMS]
    slopes = key_slopes(key, essay_counts, sizes)
    # Each essay is scored as if the profile had been learned without it, so that the
    # threshold is not flattered by the essay's own words.
    topical, evidence = [], []
    for stems, own in zip(essay_stems, essay_counts, strict=True):
        rest = max(total - own.total(), 1)
        held_out = {
            w: term_weight((counts[w] - n) / rest, (essays_using[w] - 1) / (members - 1), w)
            for w, n in own.items()
            if essays_using[w] - 1 >= least
        }
        topical.append(topicality(stems, held_out))
        shares = [(w, (essays_using[w] - (w in own)) / (members - 1)) for w in key]
        evidence.append(key_evidence(stems, shares, typical=stems_median, slopes=slopes))
    topic_scale = float(np.median(topical))
    evidence_scale = float(np.std(evidence))
    judged = [
        _combine(e, t, evidence_scale, topic_scale)
        for e, t, w in zip(evidence, topical, words, strict=True)
        if len(w) >= OFF_TOPIC_MIN_WORDS
    ]
    if topic_scale > 0 and evidence_scale > 0 and judged:
        off_topic_below = _lower_bound(judged, OFF_TOPIC_QUANTILE)
    else:  # too few or too alike essays to judge topic by: no off_topic flags
        key, slopes, topic_scale, evidence_scale, off_topic_below = [], [], 0.0, 0.0, 0.0
    return ItemProfile(
        essays=len(texts),
        words_median=float(np.median(lengths)),
        too_short_below=too_short_below,
        topic_terms=tuple(top),
        topic_weights=tuple(round(weights[w], 5) for w in top),
        key_terms=tuple(key),
        key_shares=tuple(round(essays_using[w] / members, 5) for w in key),
        topic_scale=round(topic_scale, 6),
        evidence_scale=round(evidence_scale, 6),
        off_topic_below=round(off_topic_below, 6),
        prompt_shingles=prompt_hashes(prompt),
        stems_median=stems_median,
        key_slopes=tuple(round(v, 5) for v in slopes),
    )


def key_slopes(
    key: Sequence[str], essay_counts: Sequence[Counter[str]], sizes: Sequence[int]
) -> list[float]:
    """Per key stem, how its log-odds of use grow with the log of an essay's length.

    The item's essays are split at their median length; the slope is the difference of
    the stem's log-odds of use in the longer and the shorter half (each share smoothed by
    half an essay) over the difference of their median log lengths, at least 0 and at
    most :data:`MAX_SLOPE`. All 0 for an item of fewer than :data:`MIN_SLOPE_ESSAYS`
    essays or of essays all of one length. Fitted once on all the item's essays: the
    leave-one-out scores behind the threshold leave an essay out of the shares, not of
    the slopes (one essay of hundreds moves a slope little).

    Args:
        key: The key stems.
        essay_counts: Each graded essay's stem counts.
        sizes: Each graded essay's count of content stems.
    """
    lengths = np.asarray(sizes, dtype=np.float64)
    if len(lengths) < MIN_SLOPE_ESSAYS:
        return [0.0] * len(key)
    longer = lengths > np.median(lengths)
    shorter = ~longer
    if not longer.any() or not shorter.any():
        return [0.0] * len(key)
    logs = np.log(np.maximum(lengths, 1.0))
    apart = float(np.median(logs[longer]) - np.median(logs[shorter]))
    if apart <= 0:
        return [0.0] * len(key)

    def log_odds(used: NDArray[np.bool_], half: NDArray[np.bool_]) -> float:
        share = (used[half].sum() + 0.5) / (half.sum() + 1.0)
        return math.log(share / (1.0 - share))

    slopes = []
    for term in key:
        used = np.array([term in counts for counts in essay_counts])
        slope = (log_odds(used, longer) - log_odds(used, shorter)) / apart
        slopes.append(min(MAX_SLOPE, max(0.0, slope)))
    return slopes
