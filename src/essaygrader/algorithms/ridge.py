"""Ridge regression whose regularisation is chosen by exact leave-one-out.

Everything goes through the eigendecomposition of the centred Gram matrix ``X Xᵀ`` of the
training essays (n by n, n in the thousands, while ``X`` has tens of thousands of TF-IDF
columns). One decomposition gives, for every candidate regularisation at once, the exact
leave-one-out predictions, so choosing the regularisation needs no refitting; and since
the decomposition depends only on the essays, every criterion of a rubric shares it and
each extra criterion costs a few matrix-vector products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

# Candidate regularisation strengths, relative to the Gram matrix's mean eigenvalue so
# that one grid suits any number of essays and columns.
RELATIVE_ALPHAS = np.logspace(-3, 2, 26)


@dataclass(frozen=True)
class GramDecomposition:
    """Eigendecomposition of the centred Gram matrix of one set of training essays."""

    eigenvalues: NDArray[np.float64]
    eigenvectors: NDArray[np.float64]
    squared_eigenvectors: NDArray[np.float64]

    @classmethod
    def of(cls, gram: NDArray[np.float64]) -> GramDecomposition:
        """Centre ``gram`` (an unpenalised intercept) and decompose it.

        Raises:
            ValueError: The matrix is empty.
        """
        if len(gram) == 0:
            raise ValueError("no essays to decompose")
        row_means = gram.mean(axis=0)
        centred = gram - row_means[None, :] - row_means[:, None] + row_means.mean()
        values, vectors = np.linalg.eigh((centred + centred.T) / 2.0)
        # Rounding leaves tiny negative eigenvalues; a Gram matrix has none.
        values = np.clip(values, 0.0, None)
        return cls(values, vectors, vectors * vectors)

    @classmethod
    def of_features(cls, features: NDArray[np.float64]) -> GramDecomposition:
        """The same decomposition from a few dense columns, by a thin SVD.

        With far fewer columns than essays, the centred Gram matrix has at most that
        many non-zero eigenvalues; their eigenvectors are the left singular vectors of
        the centred features, which cost a fraction of a full ``n`` by ``n``
        decomposition. Directions with a zero eigenvalue do not change any prediction.

        Raises:
            ValueError: The matrix is empty.
        """
        if len(features) == 0:
            raise ValueError("no essays to decompose")
        centred = features - features.mean(axis=0)
        vectors, singular, _ = np.linalg.svd(centred, full_matrices=False)
        return cls(singular**2, vectors, vectors * vectors)


def gram_matrix(
    sparse_blocks: list[sp.csr_matrix], dense_block: NDArray[np.float64] | None
) -> NDArray[np.float64]:
    """``X Xᵀ`` of the horizontal stack of the blocks, without forming the stack.

    Columns present in many essays are multiplied densely (BLAS), the rest sparsely:
    a sparse product costs the square of each column's document frequency, which is
    ruinous for character n-grams found in every essay.
    """
    n = dense_block.shape[0] if dense_block is not None else sparse_blocks[0].shape[0]
    gram = np.zeros((n, n))
    dense_limit = max(n // 20, 1)
    for block in sparse_blocks:
        by_column = block.tocsc()
        frequency = np.diff(by_column.indptr)
        common = frequency > dense_limit
        if common.any():
            dense = by_column[:, np.flatnonzero(common)].toarray()
            gram += dense @ dense.T
        if (~common).any():
            rare = by_column[:, np.flatnonzero(~common)].tocsr()
            gram += (rare @ rare.T).toarray()
    if dense_block is not None:
        gram += dense_block @ dense_block.T
    return gram


@dataclass(frozen=True)
class RidgeFit:
    """A ridge fit in dual form, with its exact leave-one-out predictions.

    Attributes:
        dual: Coefficients per essay; the primal weights are ``Xᵀ dual``.
        intercept_shift: Mean of the targets (add after the centred prediction).
        alpha: The chosen regularisation.
        loo_predictions: Each essay's prediction by the model fitted without it.
    """

    dual: NDArray[np.float64]
    intercept_shift: float
    alpha: float
    loo_predictions: NDArray[np.float64]


def fit_ridge_loo(decomposition: GramDecomposition, targets: NDArray[np.float64]) -> RidgeFit:
    """Fit ridge at the regularisation with the least leave-one-out squared error."""
    values = decomposition.eigenvalues
    vectors = decomposition.eigenvectors
    n = len(targets)
    mean = float(targets.mean())
    projected = vectors.T @ (targets - mean)
    # The mean over all n eigenvalues, zeros included (a thin decomposition omits them).
    alphas = RELATIVE_ALPHAS * max(float(values.sum()) / n, 1e-12)
    shrink = values[:, None] / (values[:, None] + alphas[None, :])  # eigenvalue by alpha
    fitted = vectors @ (shrink * projected[:, None]) + mean
    leverage = decomposition.squared_eigenvectors @ shrink + 1.0 / n
    residuals = (targets[:, None] - fitted) / np.clip(1.0 - leverage, 1e-9, None)
    best = int(np.argmin((residuals**2).mean(axis=0)))
    dual = vectors @ (projected / (values + alphas[best]))
    # One essay has no "others" to predict it from; the mean is the only honest guess.
    loo = targets - residuals[:, best] if n > 1 else np.full(n, mean)
    return RidgeFit(dual=dual, intercept_shift=mean, alpha=float(alphas[best]), loo_predictions=loo)
