"""Score-discriminating word n-grams: EASE's Fisher-test selection, used by both algorithms.

Selection: of the most frequent n-grams, keep those whose presence best separates essays
scoring at or above the median from the rest, by the p-value of Fisher's exact test. It
works on a sparse matrix of counts (essays by n-grams), so any subset of essays (a
cross-validation fold) selects its n-grams without recounting. ``ease`` counts every
1-2-gram here (each essay once per :class:`FeatureCache`, the training matrix once per
set of essays); ``default`` passes the raw counts of its word TF-IDF block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import gammaln

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.features import essay_tokens, texts_key
from essaygrader.algorithms.tfidf import word_grams


def good_essays(points: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Essays scoring at or above the median: EASE's "good" half.

    When the median is also the lowest score, "at or above" takes every essay and
    separates nothing, so "above" is used instead (EASE did the same for a median of 0).
    """
    median = np.median(points) if len(points) else 0.0
    good = np.asarray(points >= median)
    return np.asarray(points > median) if good.all() else good


def essay_bag(tokens: Sequence[str]) -> Counter[str]:
    """Counts of an essay's word 1-2-grams."""
    return Counter(word_grams(tokens, 1, 2))


def bag_matrix(bags: Sequence[Counter[str]]) -> tuple[list[str], sp.csr_matrix]:
    """Every n-gram of the essays (sorted) and the essays' counts of each, as one matrix."""
    terms = sorted(set().union(*bags)) if bags else []
    column = {term: i for i, term in enumerate(terms)}
    indptr = np.zeros(len(bags) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(bag) for bag in bags])
    indices = np.fromiter((column[g] for bag in bags for g in bag), np.int64, int(indptr[-1]))
    values = np.fromiter((c for bag in bags for c in bag.values()), np.float64, int(indptr[-1]))
    return terms, sp.csr_matrix((values, indices, indptr), shape=(len(bags), len(terms)))


def _log_choose(n: NDArray[np.int64], k: NDArray[np.int64]) -> NDArray[np.float64]:
    return np.asarray(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1))


def fisher_exact_two_sided(
    present_good: NDArray[np.int64], present: NDArray[np.int64], n_good: int, n: int
) -> NDArray[np.float64]:
    """Two-sided p-value of Fisher's exact test for many 2-by-2 tables at once.

    Each table crosses "n-gram present" with "essay scored at or above the median". Under
    independence the good essays holding an n-gram follow a hypergeometric law; the
    p-value sums the probability of every table no more likely than the observed one.
    All supports are laid end to end in one array, so there is no loop per n-gram.

    Args:
        present_good: Per n-gram, the good essays containing it.
        present: Per n-gram, all essays containing it.
        n_good: Number of good essays.
        n: Number of essays.
    """
    present = np.asarray(present, dtype=np.int64)
    present_good = np.asarray(present_good, dtype=np.int64)
    if len(present) == 0:
        return np.zeros(0)
    low = np.maximum(0, n_good + present - n)
    sizes = np.minimum(present, n_good) - low + 1
    row = np.repeat(np.arange(len(present)), sizes)
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    good = low[row] + np.arange(len(row)) - starts
    total = present[row]

    def log_pmf(k: NDArray[np.int64], x: NDArray[np.int64]) -> NDArray[np.float64]:
        return (
            _log_choose(k, x)
            + _log_choose(n - k, n_good - x)
            - _log_choose(np.asarray(n), np.asarray(n_good))
        )

    support = log_pmf(total, good)
    observed = log_pmf(present, present_good)
    # As SciPy does, tables within a relative 1e-7 of the observed one count as extreme.
    extreme = support <= observed[row] + np.log1p(1e-7)
    p_values = np.bincount(row, weights=np.exp(support) * extreme, minlength=len(present))
    return np.clip(p_values, 0.0, 1.0)


def select_discriminating_ngrams(
    counts: sp.csr_matrix,
    points: NDArray[np.float64],
    *,
    candidates: int = 750,
    keep: int = 200,
) -> NDArray[np.int64]:
    """EASE's vocabulary: of the most frequent 1-2-grams, those Fisher's test rates best.

    Args:
        counts: Essays by n-grams (columns in term order, as :func:`bag_matrix` makes).
        points: Each essay's score; "good" means at or above the median.
        candidates: How many of the most frequent n-grams are tested (ties: term order).
        keep: How many n-grams are kept, the smallest p-values first.

    Returns:
        The kept columns, in increasing order.
    """
    totals = np.asarray(counts.sum(axis=0)).ravel()
    order = np.lexsort((np.arange(len(totals)), -totals))
    tested = order[: min(candidates, int((totals > 0).sum()))]
    if len(tested) == 0:
        return np.zeros(0, dtype=np.int64)
    good = good_essays(points)
    presence = (counts[:, tested] > 0).astype(np.int64)
    present = np.asarray(presence.sum(axis=0)).ravel()
    present_good = np.asarray(presence[np.flatnonzero(good)].sum(axis=0)).ravel()
    p_values = fisher_exact_two_sided(present_good, present, int(good.sum()), counts.shape[0])
    ranked = np.lexsort((np.arange(len(tested)), p_values))
    return np.sort(tested[ranked[:keep]])


def essay_bags(texts: Sequence[str], cache: FeatureCache) -> list[Counter[str]]:
    """Each essay's word 1-2-gram counts, computed once per cache."""
    return cache.per_essay(
        "ngram_bags", texts, lambda missing: [essay_bag(t) for t in essay_tokens(missing, cache)]
    )


def training_counts(texts: Sequence[str], cache: FeatureCache) -> tuple[list[str], sp.csr_matrix]:
    """:func:`bag_matrix` of a set of training essays, computed once per cache."""
    return cache.shared(
        "ngram_counts", texts_key(texts), lambda: bag_matrix(essay_bags(texts, cache))
    )


def count_columns(
    texts: Sequence[str], ngrams: Sequence[str], cache: FeatureCache
) -> NDArray[np.float64]:
    """Counts of the given n-grams in each essay (essays by n-grams)."""
    matrix = np.zeros((len(texts), len(ngrams)))
    for row, bag in enumerate(essay_bags(texts, cache)):
        for col, gram in enumerate(ngrams):
            count = bag.get(gram)
            if count:
                matrix[row, col] = count
    return matrix
