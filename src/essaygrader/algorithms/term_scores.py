"""Term scores: how the training essays that use a term scored, averaged over an essay.

For every word and character n-gram of the feature space, a table holds the mean score
of the training essays that contain it, as a deviation from the mean of all of them and
shrunk towards zero as if one more essay at the mean had used the term. On a scale of a
few point values (at most :data:`MAX_LEVELS`), the table also holds the same for each
"at least v points" threshold, which tells terms of the weakest essays from terms of the
middling ones. An essay's features are the averages of these columns over the distinct
n-grams it contains, one per block and column.

Ridge weighs all n-grams jointly; these features are each n-gram's own evidence, added up
the way naive Bayes does, and they give the booster a view of the text it cannot get from
200 selected n-gram counts. For training essays they come from k-fold tables that never
saw the essay, as a new essay's come from tables that never saw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# Scales with more point values than this get one column (the score) instead of one
# per threshold: a 0-60 scale would need sixty, each resting on few essays.
MAX_LEVELS = 8
# The prior: one imaginary essay at the mean score for every term.
PRIOR_ESSAYS = 1.0


def presence(matrix: sp.spmatrix) -> sp.csr_matrix:
    """Which n-grams each essay contains (1.0 or absent), from any essays-by-terms matrix."""
    found = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    found.data = (found.data != 0).astype(np.float64)
    found.eliminate_zeros()
    return found


def score_targets(points: NDArray[np.float64], valid_points: Sequence[int]) -> NDArray[np.float64]:
    """The columns the tables average: the points, then "at least v" for each threshold."""
    values = sorted(set(valid_points))
    columns = [np.asarray(points, dtype=np.float64)]
    if 2 < len(values) <= MAX_LEVELS:
        columns += [(points >= v).astype(np.float64) for v in values[1:]]
    return np.column_stack(columns)


def column_count(valid_points: Sequence[int]) -> int:
    """How many columns :func:`score_targets` gives for these point values."""
    levels = len(set(valid_points))
    return levels if 2 < levels <= MAX_LEVELS else 1


@dataclass(frozen=True)
class TermScores:
    """One table per block of n-grams: terms by columns, as float32.

    Attributes:
        tables: Per block (word, then character n-grams), each term's shrunk mean
            deviation of each target column.
    """

    tables: tuple[NDArray[np.float32], ...]

    @classmethod
    def fit(cls, blocks: Sequence[sp.csr_matrix], targets: NDArray[np.float64]) -> TermScores:
        """Tables from the presence matrices of training essays and their target columns."""
        centred = targets - targets.mean(axis=0)
        tables = []
        for block in blocks:
            essays = np.asarray(block.sum(axis=0)).ravel()
            totals = np.asarray(block.T @ centred)
            tables.append((totals / (essays + PRIOR_ESSAYS)[:, None]).astype(np.float32))
        return cls(tuple(tables))

    @property
    def width(self) -> int:
        """Features per essay."""
        return sum(table.shape[1] for table in self.tables)

    def features(self, blocks: Sequence[sp.csr_matrix]) -> NDArray[np.float64]:
        """Each essay's average of every column over the distinct n-grams it contains."""
        if len(blocks) != len(self.tables):
            raise ValueError(f"{len(blocks)} blocks for {len(self.tables)} tables")
        columns = []
        for block, table in zip(blocks, self.tables, strict=True):
            if block.shape[1] != table.shape[0]:
                raise ValueError(f"{block.shape[1]} terms for a table of {table.shape[0]}")
            used = np.maximum(np.asarray(block.sum(axis=1)).ravel(), 1.0)
            columns.append(np.asarray(block @ table, dtype=np.float64) / used[:, None])
        return np.hstack(columns)


def out_of_fold(
    blocks: Sequence[sp.csr_matrix], targets: NDArray[np.float64], folds: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each training essay's features from tables fitted on the other folds."""
    width = targets.shape[1] * len(blocks)
    features = np.zeros((targets.shape[0], width))
    for fold in np.unique(folds):
        fit_rows, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        scores = TermScores.fit([b[fit_rows] for b in blocks], targets[fit_rows])
        features[held] = scores.features([b[held] for b in blocks])
    return features
