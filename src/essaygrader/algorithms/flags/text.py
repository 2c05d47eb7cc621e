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


# Locality-sensitive hashing over the signature: 64 bands of 2 positions (each band's two
# 32-bit minima read as one 64-bit key). Two essays whose
# 5-word phrases overlap by 0.4 (the ``duplicate`` threshold) agree on a given band with
# probability 0.16, so on at least one of the 64 with probability 1 - 0.84**64 > 0.99998;
# two unrelated essays of one prompt (overlap near 0.02) share a band 2.5% of the time.
class SignatureIndex:
    """An item's submission signatures, indexed by band, so that finding an essay's near
    copies compares it with a few candidates instead of every submission.

    Each signature gives 64 band keys (a band's key mixed with its number). The keys of
    most rows are kept sorted, with the row each came from (twelve bytes a key, under
    8 MB for 10,000 essays); rows added since the last sort are scanned directly, and
    sorted in once they are an eighth of the rest. Rows are only ever added, in arrival
    order. Signatures of essays too short to have a 5-word phrase (all ones) are left
    out: they are nobody's near copy.
    """

    _TAIL_AT_LEAST = 256

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.uuids: list[str] = []
        self.student_ids: list[str] = []
        self._signatures = np.zeros((0, SIGNATURE_SIZE), dtype=np.uint32)
        self._sorted_keys = np.zeros(0, dtype=np.uint64)
        self._sorted_rows = np.zeros(0, dtype=np.int32)
        self._tail: list[NDArray[np.uint32]] = []
        self._tail_keys: NDArray[np.uint64] | None = None  # the tail's keys, once asked

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, id_: int, uuid: str, student_id: str, signature: NDArray[np.uint32]) -> None:
        """Index one submission's signature."""
        if bool((signature == 0xFFFFFFFF).all()):
            return
        self.ids.append(id_)
        self.uuids.append(uuid)
        self.student_ids.append(student_id)
        self._tail.append(np.asarray(signature, dtype=np.uint32))
        self._tail_keys = None
        if len(self._tail) >= max(self._TAIL_AT_LEAST, len(self._sorted_rows) // 512):
            self._merge_tail()

    def _merge_tail(self) -> None:
        if not self._tail:
            return
        first = len(self._signatures)
        added = np.stack(self._tail)
        self._tail = []
        self._tail_keys = None
        self._signatures = np.concatenate([self._signatures, added])
        keys = np.concatenate([self._sorted_keys, _band_keys(added).ravel()])
        rows = np.concatenate(
            [
                self._sorted_rows,
                np.repeat(np.arange(first, first + len(added), dtype=np.int32), _BANDS),
            ]
        )
        order = np.argsort(keys, kind="stable")
        self._sorted_keys, self._sorted_rows = keys[order], rows[order]

    def candidates(self, signature: NDArray[np.uint32]) -> list[int]:
        """The rows that agree with ``signature`` on at least one band, in arrival order."""
        wanted = _band_keys(np.asarray(signature, dtype=np.uint32)[None, :])[0]
        found: set[int] = set()
        starts = np.searchsorted(self._sorted_keys, wanted, side="left")
        ends = np.searchsorted(self._sorted_keys, wanted, side="right")
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if end > start:
                found.update(self._sorted_rows[start:end].tolist())
        if self._tail:
            if self._tail_keys is None:
                self._tail_keys = _band_keys(np.stack(self._tail))
            # Salted keys of different bands never meet: compare band with band.
            hits = (self._tail_keys == wanted[None, :]).any(axis=1)
            first = len(self._signatures)
            found.update((first + np.flatnonzero(hits)).tolist())
        return sorted(found)

    def signatures(self, rows: Sequence[int]) -> NDArray[np.uint32]:
        """The signatures of ``rows``, one per row."""
        if not rows:
            return np.zeros((0, SIGNATURE_SIZE), dtype=np.uint32)
        # Rows past the sorted ones are in the tail: read them there, never sort to read.
        sorted_rows = len(self._signatures)
        return np.stack(
            [
                self._signatures[row] if row < sorted_rows else self._tail[row - sorted_rows]
                for row in rows
            ]
        )


_BANDS = SIGNATURE_SIZE // 2
# Odd multipliers that make equal keys of different bands differ.
_BAND_SALT = (
    np.arange(1, _BANDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
) | np.uint64(1)


def _band_keys(signatures: NDArray[np.uint32]) -> NDArray[np.uint64]:
    """Each row's 64 band keys: two 32-bit minima read as one 64-bit integer, salted by
    the band's number."""
    packed = np.ascontiguousarray(signatures, dtype=np.uint32).view(np.uint64)
    keys: NDArray[np.uint64] = packed ^ _BAND_SALT[None, :]
    return keys
