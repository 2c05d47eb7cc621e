"""Relevance: how close an essay's TF-IDF is to the strong and to the weak training essays.

For each block of n-grams (word, character), three centroids of the training essays' unit
TF-IDF rows are kept, each scaled to unit length: of the top band of scores (the essays at
or above the :data:`BAND_SHARE` upper quantile), of the bottom band, and of every essay.
An essay's features are its cosine similarity with each: on topic or not, and closer to
what strong or weak essays say. The ridge already weighs every n-gram; the similarities
give the booster the same evidence in three numbers per block, which trees can split on
(an essay off the prompt's topic, one that reads like the weakest essays).

For training essays the centroids come from k-fold folds that never saw the essay, so an
essay's own score does not leak into its features, as a new essay's never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# The share of training essays in each of the top and bottom bands (ties at the
# quantile's score are all in the band).
BAND_SHARE = 0.2
CENTROIDS = 3


def bands(targets: NDArray[np.float64]) -> NDArray[np.float64]:
    """Essays by centroids: membership weights of the top band, bottom band and all."""
    high, low = np.quantile(targets, 1.0 - BAND_SHARE), np.quantile(targets, BAND_SHARE)
    top, bottom = targets >= high, targets <= low
    if top.all():
        top = targets > low
    if bottom.all():
        bottom = targets < high
    return np.column_stack([top, bottom, np.ones(len(targets), dtype=bool)]).astype(np.float64)


@dataclass(frozen=True)
class Centroids:
    """One table per block of n-grams: terms by the :data:`CENTROIDS` unit centroids.

    Attributes:
        tables: Per block (word, then character n-grams), float32.
    """

    tables: tuple[NDArray[np.float32], ...]

    @classmethod
    def fit(cls, blocks: Sequence[sp.csr_matrix], targets: NDArray[np.float64]) -> Centroids:
        """Centroids of the unit TF-IDF rows ``blocks`` of essays scored ``targets``."""
        members = bands(np.asarray(targets, dtype=np.float64))
        tables = []
        for block in blocks:
            sums = np.asarray(block.T @ members, dtype=np.float64)
            norms = np.linalg.norm(sums, axis=0)
            norms[norms == 0.0] = 1.0
            tables.append((sums / norms).astype(np.float32))
        return cls(tuple(tables))

    @property
    def width(self) -> int:
        """Features per essay."""
        return sum(table.shape[1] for table in self.tables)

    def features(self, blocks: Sequence[sp.csr_matrix]) -> NDArray[np.float64]:
        """Each essay's cosine similarity with every centroid (its rows are unit length).

        Raises:
            ValueError: The blocks do not match the tables.
        """
        if len(blocks) != len(self.tables):
            raise ValueError(f"{len(blocks)} blocks for {len(self.tables)} centroid tables")
        columns = []
        for block, table in zip(blocks, self.tables, strict=True):
            if block.shape[1] != table.shape[0]:
                raise ValueError(f"{block.shape[1]} terms for a centroid table of {table.shape[0]}")
            columns.append(np.asarray(block @ table, dtype=np.float64))
        return np.hstack(columns) if columns else np.zeros((0, 0))


def out_of_fold(
    blocks: Sequence[sp.csr_matrix], targets: NDArray[np.float64], folds: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each training essay's similarities with centroids fitted on the other folds."""
    features = np.zeros((len(targets), CENTROIDS * len(blocks)))
    for fold in np.unique(folds):
        fit_rows, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        centroids = Centroids.fit([b[fit_rows] for b in blocks], targets[fit_rows])
        features[held] = centroids.features([b[held] for b in blocks])
    return features
