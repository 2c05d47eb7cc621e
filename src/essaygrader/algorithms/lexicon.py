"""Word-level facts the features need: spelling, word frequency, syllables, word classes.

Everything here works offline: pyspellchecker ships its English word-frequency list and
pyphen its hyphenation dictionaries. Both are loaded once per process, on first use, and
answers are memoised per word, because essays repeat the same few thousand words.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that carry grammar rather than content. The ``ease`` algorithm builds its grammar
# signal from them, and the hand features count a few groups of them.
FUNCTION_WORDS = _word_set(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either
    every few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just may me might more most must my myself neither no
    nor not of off on once only or other ought our ours ourselves out over own same shall she
    should so some such than that the their theirs them themselves then there these they this
    those through to too under until up upon very was we were what when where which while who
    whom whose why will with within without would you your yours yourself yourselves"""
)

# Discourse connectives: how often a writer links ideas explicitly.
CONNECTIVES = _word_set(
    """additionally also although besides consequently conclusion finally first firstly
    furthermore hence however instance lastly likewise meanwhile moreover nevertheless
    nonetheless overall second secondly similarly since therefore thirdly though thus
    ultimately whereas"""
)

FIRST_PERSON = _word_set("i me my mine myself we us our ours ourselves")

_WORD_CLASS_SUFFIXES = (
    ("ing", "VING"),
    ("ed", "VED"),
    ("ly", "ADV"),
    ("tion", "NOUN"),
    ("ment", "NOUN"),
    ("ness", "NOUN"),
    ("ity", "NOUN"),
    ("ous", "ADJ"),
    ("ful", "ADJ"),
    ("ive", "ADJ"),
    ("able", "ADJ"),
    ("al", "ADJ"),
    ("s", "PLUR"),
)
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)*$")


@cache
def word_frequencies() -> dict[str, int]:
    """The frequency list: how often English at large uses each lower-case word."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en").word_frequency.dictionary)


@cache
def corpus_total() -> int:
    """The number of words the frequency list counts."""
    return sum(word_frequencies().values())


@cache
def _hyphenator() -> object:
    import pyphen

    return pyphen.Pyphen(lang="en_US")


@lru_cache(maxsize=131_072)
def word_info(word: str) -> tuple[bool, float, int]:
    """(known spelling, log10 corpus frequency, syllables) of a lower-case word.

    Unknown words get frequency 0. Syllables come from pyphen's hyphenation points, with
    a vowel-group count as a floor because hyphenation never splits short words.
    """
    count = word_frequencies().get(word)
    hyphen_points = len(_hyphenator().positions(word))  # type: ignore[attr-defined]
    vowel_groups = len(re.findall(r"[aeiouy]+", word)) - (
        1 if word.endswith("e") and not word.endswith(("le", "ee")) and len(word) > 2 else 0
    )
    syllables = max(1, hyphen_points + 1, vowel_groups)
    return count is not None, math.log10(count) if count else 0.0, syllables


@lru_cache(maxsize=65_536)
def word_class(token: str) -> str:
    """A coarse grammatical class: the word itself for function words, else its shape.

    A stand-in for part-of-speech tags, which no maintained tagger on PyPI provides with
    bundled data; suffixes separate most verb forms, adverbs, nouns and adjectives.
    """
    if token.startswith("@"):
        return "NAME"
    if not token[0].isalnum():
        return token
    lower = token.lower()
    if lower in FUNCTION_WORDS:
        return lower
    if _DIGITS.match(token):
        return "NUM"
    if token.isupper() and len(token) > 1:
        return "NAME"
    for suffix, label in _WORD_CLASS_SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix) + 2:
            return label
    return "CAP" if token[0].isupper() else "WORD"
