"""Coherence: how much consecutive sentences of an essay share their words.

Each sentence becomes a unit word n-gram TF-IDF row in the essay's feature space. An
essay's features are the mean and the spread of the cosine similarity of consecutive
sentences (do they follow on from each other) and the mean similarity of each sentence
with the essay as a whole (do they keep to one subject). Nothing here depends on the
scores, so training essays need no out-of-fold version.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from essaygrader.algorithms.text_stats import split_sentences
from essaygrader.algorithms.tfidf import TfidfBlock, tokenize_all

NAMES = ("adjacent_sentence_similarity", "adjacent_similarity_spread", "sentence_focus")


def coherence_features(texts: Sequence[str], block: TfidfBlock) -> NDArray[np.float64]:
    """Essays by :data:`NAMES`; NaN where an essay has too few sentences to tell."""
    sentences = [split_sentences(text) for text in texts]
    owner = np.repeat(np.arange(len(texts)), [len(s) for s in sentences])
    features = np.full((len(texts), len(NAMES)), np.nan)
    if not len(owner):
        return features
    rows = block.transform(tokenize_all([s for essay in sentences for s in essay]))
    rows = sp.csr_matrix(rows, dtype=np.float64)
    counts = np.bincount(owner, minlength=len(texts)).astype(np.float64)
    # Consecutive sentences of the same essay.
    same = owner[:-1] == owner[1:]
    adjacent = np.asarray(rows[:-1].multiply(rows[1:]).sum(axis=1)).ravel()[same]
    pairs = np.bincount(owner[:-1][same], minlength=len(texts)).astype(np.float64)
    total = np.bincount(owner[:-1][same], weights=adjacent, minlength=len(texts))
    squares = np.bincount(owner[:-1][same], weights=adjacent**2, minlength=len(texts))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / pairs
        features[:, 0] = mean
        features[:, 1] = np.sqrt(np.maximum(squares / pairs - mean**2, 0.0))
    # Each sentence against the sum of its essay's sentences, scaled to unit length.
    membership = sp.csr_matrix(
        (np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(texts), len(owner))
    )
    centroids = sp.csr_matrix(membership @ rows)
    norms = np.sqrt(np.asarray(centroids.multiply(centroids).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    centroids = sp.csr_matrix(sp.diags(1.0 / norms) @ centroids)
    focus = np.asarray(rows.multiply(centroids[owner]).sum(axis=1)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        features[:, 2] = np.bincount(owner, weights=focus, minlength=len(texts)) / counts
    return features
