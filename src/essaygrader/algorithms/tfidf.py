"""Word and character n-gram TF-IDF with a vocabulary that is plain arrays.

A fitted :class:`TfidfBlock` is its terms (a NumPy string array) and their inverse
document frequencies, so a model stores and reloads it without pickling anything.

Character n-grams are taken inside each token padded with spaces (scikit-learn's
``char_wb``), which lets an essay's character counts be built from its token counts:
each distinct token's n-gram ids are looked up once per vocabulary and reused by every
essay that contains the token. That keeps vectorising at a few hundred microseconds an
essay, the budget of scoring hundreds of essays a second.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

_TOKEN = re.compile(r"@?\w+(?:'\w+)*|[^\w\s]")
# Word n-grams skip punctuation tokens; the hand features count punctuation already.
_IS_WORD = re.compile(r"^@?\w")

Kind = Literal["word", "char"]
# Tokens whose character n-gram columns a loaded block remembers. The first tokens met are
# mostly the common words that recur in every essay; the memo is per classifier, so its
# bound is part of a worker's memory per loaded classifier.
TOKEN_MEMO_LIMIT = 8_192


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-case word and punctuation tokens of an essay, in order."""
    return tuple(_TOKEN.findall(text.lower()))


def tokenize_all(texts: list[str]) -> list[tuple[str, ...]]:
    """:func:`tokenize` of each text; the shape ``FeatureCache.per_essay`` wants."""
    return [tokenize(text) for text in texts]


# A prompt's essays use some ten to twenty thousand distinct tokens; the bound keeps a
# long-lived worker that meets endless misspellings at tens of megabytes.
@lru_cache(maxsize=65_536)
def _char_grams(token: str, low: int, high: int) -> tuple[str, ...]:
    padded = f" {token} "
    return tuple(
        padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
    )


def word_grams(tokens: Sequence[str], low: int, high: int) -> list[str]:
    """Word n-grams (``low`` ≤ n ≤ ``high``) of a token sequence, punctuation left out."""
    words = [t for t in tokens if _IS_WORD.match(t)]
    grams = words.copy() if low <= 1 else []
    if low <= 2 <= high:
        grams.extend([f"{a} {b}" for a, b in itertools.pairwise(words)])
    for n in range(max(low, 3), high + 1):
        grams.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return grams


@dataclass
class TfidfBlock:
    """One TF-IDF block: sublinear term frequency times idf, rows scaled to unit length.

    Attributes:
        kind: ``"word"`` n-grams of word tokens or ``"char"`` n-grams inside tokens.
        ngram_range: Smallest and largest n.
        terms: The vocabulary, in column order.
        idf: Smoothed inverse document frequency of each term.
    """

    kind: Kind
    ngram_range: tuple[int, int]
    terms: NDArray[np.str_]
    idf: NDArray[np.float32]
    _index: dict[str, int] = field(init=False, repr=False)
    _token_columns: dict[str, NDArray[np.int32]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf):
            raise ValueError(f"{len(self.terms)} terms but {len(self.idf)} idf values")
        self._index = {str(term): i for i, term in enumerate(self.terms.tolist())}
        self._token_columns = {}

    @classmethod
    def fit(
        cls,
        essays: Sequence[Sequence[str]],
        kind: Kind,
        ngram_range: tuple[int, int],
        *,
        min_df: int = 2,
    ) -> TfidfBlock:
        """Learn the vocabulary and idf from tokenised essays.

        Args:
            essays: Each essay's tokens, from :func:`tokenize`.
            kind: Word or character n-grams.
            ngram_range: Smallest and largest n.
            min_df: Drop terms found in fewer essays; rare terms only add noise and size.
        """
        return cls._learn(essays, kind, ngram_range, min_df, keep_grams=False)[0]

    @classmethod
    def fit_transform(
        cls,
        essays: Sequence[Sequence[str]],
        kind: Kind,
        ngram_range: tuple[int, int],
        *,
        min_df: int = 2,
    ) -> tuple[TfidfBlock, sp.csr_matrix, sp.csr_matrix]:
        """:meth:`fit`, then :meth:`transform_counts` of the same essays, building n-grams once.

        Returns:
            The fitted block, the essays' TF-IDF rows and their raw term counts.
        """
        block, word_lists = cls._learn(essays, kind, ngram_range, min_df, keep_grams=True)
        if kind == "word":
            return block, *block._rows([block._word_counts(grams) for grams in word_lists])
        return block, *block.transform_counts(essays)

    @classmethod
    def _learn(
        cls,
        essays: Sequence[Sequence[str]],
        kind: Kind,
        ngram_range: tuple[int, int],
        min_df: int,
        *,
        keep_grams: bool,
    ) -> tuple[TfidfBlock, list[list[str]]]:
        low, high = ngram_range
        df: Counter[str] = Counter()
        word_lists: list[list[str]] = []
        for tokens in essays:
            if kind == "word":
                grams = word_grams(tokens, low, high)
                if keep_grams:
                    word_lists.append(grams)
                df.update(set(grams))
            else:
                df.update(set().union(*(_char_grams(t, low, high) for t in set(tokens))))
        kept = sorted((term, count) for term, count in df.items() if count >= min_df)
        terms = np.array([term for term, _ in kept] or [""], dtype=np.str_)
        counts = np.array([count for _, count in kept] or [0], dtype=np.float64)
        idf = (np.log((1.0 + len(essays)) / (1.0 + counts)) + 1.0).astype(np.float32)
        return cls(kind=kind, ngram_range=ngram_range, terms=terms, idf=idf), word_lists

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.terms)

    def transform(self, essays: Iterable[Sequence[str]]) -> sp.csr_matrix:
        """TF-IDF rows, one per tokenised essay, each of unit length (or all zero)."""
        return self.transform_counts(essays)[0]

    def transform_counts(
        self, essays: Iterable[Sequence[str]]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """TF-IDF rows as :meth:`transform` gives them, and the raw term counts."""
        low, high = self.ngram_range
        if self.kind == "word":
            return self._rows([self._word_counts(word_grams(t, low, high)) for t in essays])
        return self._rows([self._char_counts(tokens) for tokens in essays])

    def _rows(
        self, counted: list[tuple[NDArray[np.int32], NDArray[np.float64]]]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        indptr = np.zeros(len(counted) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(cols) for cols, _ in counted])
        col = np.concatenate([c for c, _ in counted]) if counted else np.zeros(0, np.int32)
        tf = np.concatenate([t for _, t in counted]) if counted else np.zeros(0)
        shape = (len(counted), self.size)
        counts = sp.csr_matrix((tf, col, indptr), shape=shape)
        values = (1.0 + np.log(tf)) * self.idf[col] if len(tf) else tf
        matrix = sp.csr_matrix((values.astype(np.float32), col, indptr), shape=shape)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        return sp.csr_matrix(sp.diags((1.0 / norms).astype(np.float32)) @ matrix), counts

    def column(self, term: str) -> int | None:
        """The column of ``term``, or None if it is not in the vocabulary."""
        return self._index.get(term)

    def _word_counts(self, grams: list[str]) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        found = Counter(i for i in map(self._index.get, grams) if i is not None)
        cols = np.fromiter(found.keys(), dtype=np.int32, count=len(found))
        return cols, np.fromiter(found.values(), dtype=np.float64, count=len(found))

    def _char_counts(self, tokens: Sequence[str]) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        token_counts = Counter(tokens)
        pieces = [self._columns_of(token) for token in token_counts]
        if not pieces:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        lengths = [len(p) for p in pieces]
        all_cols = np.concatenate(pieces)
        weights = np.repeat(np.fromiter(token_counts.values(), dtype=np.float64), lengths)
        cols, inverse = np.unique(all_cols, return_inverse=True)
        return cols.astype(np.int32), np.bincount(inverse, weights=weights).astype(np.float64)

    def _columns_of(self, token: str) -> NDArray[np.int32]:
        cols = self._token_columns.get(token)
        if cols is None:
            low, high = self.ngram_range
            found = (self._index.get(g) for g in _char_grams(token, low, high))
            cols = np.array([i for i in found if i is not None], dtype=np.int32)
            # Bounded: a long-lived scorer meets new misspellings forever.
            if len(self._token_columns) < TOKEN_MEMO_LIMIT:
                self._token_columns[token] = cols
        return cols
