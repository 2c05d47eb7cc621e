"""The advisory flags: pure checks of one essay against its item's profile.

Each flag is a stable ``code`` and a message for staff. Flags advise: they never change a
score. Thresholds are documented and measured in the README ("Advisory flags") by
``essaygrader bench flags``: at most 1% of real essays flagged, at least 95% of generated
bad cases caught, per flag.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from essaygrader.algorithms.flags.profile import (
    OFF_TOPIC_MIN_WORDS,
    PROMPT_SHINGLE_WORDS,
    ItemProfile,
    hash_shingle,
    topic_score,
    topic_stems,
)
from essaygrader.algorithms.flags.text import (
    shingles,
    signature_similarity,
    words_of,
)
from essaygrader.algorithms.lexicon import word_info

TOO_SHORT = "too_short"
NOT_TEXT = "not_text"
DUPLICATE = "duplicate"
COPIED_PROMPT = "copied_prompt"
OFF_TOPIC = "off_topic"
FLAG_CODES = (TOO_SHORT, NOT_TEXT, DUPLICATE, COPIED_PROMPT, OFF_TOPIC)

# not_text: most letters-and-spaces, most words real, not one phrase over and over.
NOT_TEXT_MIN_LETTER_SHARE = 0.6
NOT_TEXT_MIN_KNOWN_SHARE = 0.5
NOT_TEXT_MIN_COMPRESSION = 0.2
NOT_TEXT_COMPRESSION_MIN_CHARS = 200
# duplicate: estimated Jaccard similarity of word 5-gram sets.
DUPLICATE_MIN_SIMILARITY = 0.4
DUPLICATE_MIN_WORDS = 20
# copied_prompt: share of the essay's word 3-grams that are the prompt's.
COPIED_PROMPT_MIN_SHARE = 0.5
# off_topic needs enough words to judge (OFF_TOPIC_MIN_WORDS); shorter essays are
# too_short's business. The message names up to this many key stems the essay lacks.
OFF_TOPIC_NAMED_TERMS = 3

_LETTER = re.compile(r"[A-Za-z]")
_PLACEHOLDER = re.compile(r"@[A-Za-z]+\d*")


@dataclass(frozen=True)
class Flag:
    """One advisory flag: a stable code, a message for staff, and the submission a
    ``duplicate`` names."""

    code: str
    message: str
    submission_uuid: str | None = None

    def to_json(self) -> dict[str, str]:
        """The flag as stored and returned: ``code``, ``message`` (and ``submission_uuid``)."""
        data = {"code": self.code, "message": self.message}
        if self.submission_uuid is not None:
            data["submission_uuid"] = self.submission_uuid
        return data


def too_short(words: Sequence[str], profile: ItemProfile) -> Flag | None:
    """Far shorter than the item's graded essays."""
    if len(words) >= profile.too_short_below:
        return None
    return Flag(
        TOO_SHORT,
        f"{len(words)} words; the item's graded essays have {profile.words_median:.0f} "
        f"at the median",
    )


def not_text(text: str, words: Sequence[str]) -> Flag | None:
    """No real words: symbols, keyboard mash, or one phrase over and over."""
    visible = re.sub(r"\s+", "", _PLACEHOLDER.sub("", text))
    if not words or not visible:
        return Flag(NOT_TEXT, "no words")
    letters = len(_LETTER.findall(visible)) / len(visible)
    if letters < NOT_TEXT_MIN_LETTER_SHARE:
        return Flag(NOT_TEXT, f"mostly symbols: {letters:.0%} of the characters are letters")
    known = sum(word_info(w)[0] for w in words) / len(words)
    if known < NOT_TEXT_MIN_KNOWN_SHARE:
        return Flag(NOT_TEXT, f"mostly not words: {known:.0%} of the words are English words")
    joined = " ".join(words).encode()
    if len(joined) >= NOT_TEXT_COMPRESSION_MIN_CHARS:
        ratio = len(zlib.compress(joined, 9)) / len(joined)
        if ratio < NOT_TEXT_MIN_COMPRESSION:
            return Flag(NOT_TEXT, "the same words repeated over and over")
    return None


def copied_prompt(words: Sequence[str], profile: ItemProfile) -> Flag | None:
    """Mostly the prompt's own text."""
    if not profile.prompt_shingles or not words:
        return None
    own = {hash_shingle(s) for s in shingles(words, PROMPT_SHINGLE_WORDS)}
    share = len(own.intersection(profile.prompt_shingles)) / len(own)
    if share < COPIED_PROMPT_MIN_SHARE:
        return None
    return Flag(COPIED_PROMPT, f"{share:.0%} of the essay is the prompt's own text")


def off_topic(words: Sequence[str], profile: ItemProfile) -> Flag | None:
    """Unlike the item's prompt and graded essays."""
    if len(words) < OFF_TOPIC_MIN_WORDS or not profile.judges_topic:
        return None
    stems = topic_stems(words)
    score = topic_score(stems, profile)
    if score >= profile.off_topic_below:
        return None
    used = set(stems)
    missing = [t for t in profile.key_terms if t not in used][:OFF_TOPIC_NAMED_TERMS]
    lacks = f"; lacks the item's key words {', '.join(t + '…' for t in missing)}" if missing else ""
    return Flag(
        OFF_TOPIC,
        f"unlike the item's graded essays: topic score {score:.2f} (flagged below "
        f"{profile.off_topic_below:.2f}){lacks}",
    )


def duplicate(
    words: Sequence[str],
    signature: NDArray[np.uint32],
    others: NDArray[np.uint32],
    other_uuids: Sequence[str],
) -> Flag | None:
    """A near copy of another submission of the item, named by its uuid (the closest)."""
    if len(words) < DUPLICATE_MIN_WORDS or not len(other_uuids):
        return None
    similarity = signature_similarity(signature, others)
    best = int(np.argmax(similarity))
    if similarity[best] < DUPLICATE_MIN_SIMILARITY:
        return None
    return Flag(
        DUPLICATE,
        f"a near copy of submission {other_uuids[best]} ({similarity[best]:.0%} of their "
        f"5-word phrases shared)",
        submission_uuid=other_uuids[best],
    )


def advisory_flags(
    text: str,
    profile: ItemProfile | None,
    signature: NDArray[np.uint32],
    others: NDArray[np.uint32],
    other_uuids: Sequence[str],
) -> list[Flag]:
    """Every flag that applies to one essay, in :data:`FLAG_CODES` order.

    Args:
        text: The essay.
        profile: The item's profile; without one (a classifier set trained before
            profiles existed) only ``not_text`` and ``duplicate`` are checked.
        signature: The essay's :func:`~essaygrader.algorithms.flags.text.text_signature`.
        others: Signatures of the item's other submissions, one per row.
        other_uuids: Their submission uuids, in the same order.
    """
    words = words_of(text)
    nonsense = not_text(text, words)
    found = [nonsense, duplicate(words, signature, others, other_uuids)]
    if profile is not None:
        found += [too_short(words, profile), copied_prompt(words, profile)]
        # Words that are not words have no topic: not_text says enough.
        if nonsense is None:
            found.append(off_topic(words, profile))
    order = {code: i for i, code in enumerate(FLAG_CODES)}
    return sorted((f for f in found if f is not None), key=lambda f: order[f.code])
