"""Words, shingles and MinHash signatures: the text primitives the flags share.

Everything here is pure and fast (a few milliseconds per essay) so that it can run on
every grading. Words are lower-cased runs of letters; punctuation, digits, case and
ASAP-style placeholders (``@PERSON1``) do not count, so a copy that only changes those
is still a copy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray

_PLACEHOLDER = re.compile(r"@[A-Za-z]+\d*")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")

SHINGLE_WORDS = 5
SIGNATURE_SIZE = 128
# Changing how signatures are made makes stored ones incomparable: bump this with it.
SIGNATURE_VERSION = 1
_MASK32 = np.uint64(0xFFFFFFFF)


def words_of(text: str) -> list[str]:
    """The essay's words, lower-cased, without placeholders, digits or punctuation."""
    return _WORD.findall(_PLACEHOLDER.sub(" ", text.lower()))


def shingles(words: Sequence[str], size: int = SHINGLE_WORDS) -> set[str]:
    """The set of runs of ``size`` consecutive words (the whole text when shorter)."""
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _stable_hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


@cache
def _permutations() -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    # Multiply-shift hashing: odd multipliers and offsets derived from fixed labels, so
    # every process and every version with the same SIGNATURE_VERSION agrees.
    labels = [f"essaygrader-minhash-v{SIGNATURE_VERSION}-{i}" for i in range(2 * SIGNATURE_SIZE)]
    values = np.array([_stable_hash(label) for label in labels], dtype=np.uint64)
    return values[:SIGNATURE_SIZE] | np.uint64(1), values[SIGNATURE_SIZE:]


def minhash(items: set[str]) -> NDArray[np.uint32]:
    """A MinHash signature of a set: :data:`SIGNATURE_SIZE` 32-bit minima.

    The share of equal positions in two signatures estimates the Jaccard similarity of the
    two sets. An empty set has the all-ones signature, which matches nothing real.
    """
    if not items:
        return np.full(SIGNATURE_SIZE, 0xFFFFFFFF, dtype=np.uint32)
    base = np.fromiter((_stable_hash(s) for s in items), dtype=np.uint64, count=len(items))
    multipliers, offsets = _permutations()
    # uint64 arithmetic wraps, which is what multiply-shift hashing wants.
    hashed = (base[None, :] * multipliers[:, None] + offsets[:, None]) >> np.uint64(32)
    minima: NDArray[np.uint32] = (hashed & _MASK32).min(axis=1).astype(np.uint32)
    return minima


def text_signature(text: str) -> NDArray[np.uint32]:
    """The MinHash signature of an essay's word 5-grams."""
    return minhash(shingles(words_of(text)))


def signature_bytes(signature: NDArray[np.uint32]) -> bytes:
    """A signature as stored: little-endian 32-bit integers."""
    return signature.astype("<u4").tobytes()


def signature_from_bytes(data: bytes) -> NDArray[np.uint32]:
    """A stored signature back as an array.

    Raises:
        ValueError: The bytes are not a signature of :data:`SIGNATURE_SIZE` entries.
    """
    if len(data) != 4 * SIGNATURE_SIZE:
        raise ValueError(f"a signature has {4 * SIGNATURE_SIZE} bytes, not {len(data)}")
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def signature_similarity(
    signature: NDArray[np.uint32], others: NDArray[np.uint32]
) -> NDArray[np.float64]:
    """Estimated Jaccard similarity of one signature to each row of ``others``."""
    if others.size == 0:
        return np.zeros(0)
    return np.asarray((others == signature[None, :]).mean(axis=1), dtype=np.float64)
