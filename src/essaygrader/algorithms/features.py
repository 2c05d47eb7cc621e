"""The ``default`` algorithm's feature space: word and character TF-IDF plus hand features.

A :class:`FeatureSpace` is fitted on one set of training essays (vocabularies, idf, the
hand features' means and spreads) and turns essays into a sparse TF-IDF part and a dense
standardised hand-feature part. Work is shared through the :class:`FeatureCache`: each
essay is tokenised and measured once per run, and the space fitted on a set of essays,
their matrices and their Gram matrix are computed once for all criteria of a rubric.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.text_stats import FEATURE_NAMES, hand_features
from essaygrader.algorithms.tfidf import TfidfBlock, tokenize_all

WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)


def texts_key(texts: Sequence[str]) -> str:
    """A short fingerprint of a list of essays, for keying shared cache entries."""
    digest = hashlib.blake2b(digest_size=16)
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def essay_tokens(texts: Sequence[str], cache: FeatureCache) -> list[tuple[str, ...]]:
    """Each essay's tokens, computed once per cache and shared by every algorithm."""
    return cache.per_essay("tokens", texts, tokenize_all)


def essay_hand_features(texts: Sequence[str], cache: FeatureCache) -> NDArray[np.float64]:
    """The hand features of each essay as one matrix, computed once per cache."""
    rows = cache.per_essay("default.hand", texts, hand_features)
    if not rows:
        return np.zeros((0, len(FEATURE_NAMES)))
    return np.vstack(rows)


@dataclass(frozen=True)
class Design:
    """Essays as the models see them.

    Attributes:
        word: Word n-gram TF-IDF rows.
        char: Character n-gram TF-IDF rows.
        hand: Hand features, standardised (for ridge).
        raw_hand: Hand features as measured (for trees, which need no scaling).
        word_counts: Raw counts of the word n-grams (for the n-gram selection).
    """

    word: sp.csr_matrix
    char: sp.csr_matrix
    hand: NDArray[np.float64]
    raw_hand: NDArray[np.float64]
    word_counts: sp.csr_matrix


@dataclass
class FeatureSpace:
    """Vocabularies and scaling learned from training essays.

    Attributes:
        word: Word n-gram TF-IDF block.
        char: Character n-gram TF-IDF block.
        hand_mean: Mean of each hand feature over the training essays.
        hand_scale: Spread of each hand feature (standard deviation, never zero).
    """

    word: TfidfBlock
    char: TfidfBlock
    hand_mean: NDArray[np.float64]
    hand_scale: NDArray[np.float64]

    @classmethod
    def fit_transform(
        cls, texts: Sequence[str], cache: FeatureCache, *, min_df: int = 2
    ) -> tuple[FeatureSpace, Design]:
        """Learn vocabularies, idf and hand-feature scaling from ``texts``; transform them.

        Returns:
            The space, and the training essays' design (as :meth:`transform` gives it).
        """
        tokens = essay_tokens(texts, cache)
        raw_hand = essay_hand_features(texts, cache)
        scale = raw_hand.std(axis=0)
        scale[scale < 1e-9] = 1.0
        word, word_rows, word_counts = TfidfBlock.fit_transform(
            tokens, "word", WORD_NGRAMS, min_df=min_df
        )
        char, char_rows, _ = TfidfBlock.fit_transform(
            tokens, "char", CHAR_NGRAMS, min_df=min_df + 1
        )
        space = cls(word=word, char=char, hand_mean=raw_hand.mean(axis=0), hand_scale=scale)
        design = Design(word_rows, char_rows, space._standardise(raw_hand), raw_hand, word_counts)
        return space, design

    @property
    def fingerprint(self) -> str:
        """Identifies the space, so loaded models with equal spaces share transforms."""
        digest = hashlib.blake2b(digest_size=16)
        for array in self.arrays().values():
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def transform(self, texts: Sequence[str], cache: FeatureCache) -> Design:
        """The :class:`Design` of ``texts`` in this space."""
        tokens = essay_tokens(texts, cache)
        raw_hand = essay_hand_features(texts, cache)
        word, word_counts = self.word.transform_counts(tokens)
        return Design(
            word, self.char.transform(tokens), self._standardise(raw_hand), raw_hand, word_counts
        )

    def _standardise(self, hand: NDArray[np.float64]) -> NDArray[np.float64]:
        # Clipping keeps one freak essay (a pasted list, one huge word) from dominating.
        return np.clip((hand - self.hand_mean) / self.hand_scale, -6.0, 6.0)

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The space as named arrays, for :func:`~.model_format.pack_arrays`."""
        return {
            "word_terms": self.word.terms,
            "word_idf": self.word.idf,
            "char_terms": self.char.terms,
            "char_idf": self.char.idf,
            "hand_mean": self.hand_mean,
            "hand_scale": self.hand_scale,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[Any]]) -> FeatureSpace:
        """Rebuild from :meth:`arrays`.

        Raises:
            KeyError: An array is missing.
            ValueError: Arrays have inconsistent shapes or types.
        """
        hand_mean = np.asarray(arrays["hand_mean"], dtype=np.float64)
        hand_scale = np.asarray(arrays["hand_scale"], dtype=np.float64)
        if hand_mean.shape != (len(FEATURE_NAMES),) or hand_scale.shape != hand_mean.shape:
            raise ValueError("hand-feature scaling does not match this version's features")
        for name in ("word_terms", "char_terms"):
            if arrays[name].dtype.kind != "U":
                raise ValueError(f"{name} is not a string array")
        return cls(
            word=TfidfBlock("word", WORD_NGRAMS, arrays["word_terms"], arrays["word_idf"]),
            char=TfidfBlock("char", CHAR_NGRAMS, arrays["char_terms"], arrays["char_idf"]),
            hand_mean=hand_mean,
            hand_scale=hand_scale,
        )
