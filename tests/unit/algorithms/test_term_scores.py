"""Term scores: what training essays using a term scored, averaged over an essay's terms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from essaygrader.algorithms import term_scores as ts
from essaygrader.algorithms.stacking import fold_ids


def _blocks(rows: list[list[int]], terms: int) -> list[sp.csr_matrix]:
    dense = np.zeros((len(rows), terms))
    for i, present in enumerate(rows):
        dense[i, present] = 3.0  # counts or TF-IDF values: only presence matters
    return [ts.presence(sp.csr_matrix(dense))]


def test_terms_of_high_and_low_essays_score_above_and_below_the_mean() -> None:
    # Term 0 in the two best essays, term 1 in the two weakest, term 2 everywhere.
    blocks = _blocks([[0, 2], [0, 2], [1, 2], [1, 2]], 3)
    points = np.array([4.0, 4.0, 0.0, 0.0])
    table = ts.TermScores.fit(blocks, points[:, None]).tables[0][:, 0]
    # Mean 2; two essays at +2 each, shrunk by one imaginary essay at the mean: 4 / 3.
    assert table == pytest.approx([4 / 3, -4 / 3, 0.0])


def test_an_essay_averages_the_scores_of_its_distinct_terms() -> None:
    blocks = _blocks([[0], [1], [0, 1]], 2)
    scores = ts.TermScores((np.array([[1.0], [-3.0]], dtype=np.float32),))
    assert scores.features(blocks)[:, 0] == pytest.approx([1.0, -3.0, -1.0])
    assert scores.features(_blocks([[]], 2))[0, 0] == 0.0  # no known term: no evidence


def test_small_scales_get_a_column_per_threshold_and_wide_ones_only_the_score() -> None:
    points = np.array([0.0, 1.0, 2.0, 3.0])
    targets = ts.score_targets(points, [0, 1, 2, 3])
    assert targets.tolist() == [[0, 0, 0, 0], [1, 1, 0, 0], [2, 1, 1, 0], [3, 1, 1, 1]]
    assert ts.column_count([0, 1, 2, 3]) == 4
    assert ts.score_targets(points, range(61)).shape == (4, 1) == (4, ts.column_count(range(61)))
    assert ts.score_targets(np.array([0.0, 1.0]), [0, 1]).shape == (2, 1)


def test_out_of_fold_features_never_see_the_essays_own_score() -> None:
    rng = np.random.default_rng(0)
    rows = [sorted(rng.choice(30, 6, replace=False).tolist()) for _ in range(40)]
    blocks = _blocks(rows, 30)
    points = rng.integers(0, 4, 40).astype(np.float64)
    folds = fold_ids(40, 5, seed=1)
    before = ts.out_of_fold(blocks, ts.score_targets(points, [0, 1, 2, 3]), folds)
    changed = points.copy()
    held = np.flatnonzero(folds == 2)
    changed[held] = 3.0 - changed[held]
    after = ts.out_of_fold(blocks, ts.score_targets(changed, [0, 1, 2, 3]), folds)
    assert np.allclose(before[held], after[held])
    assert not np.allclose(before[folds != 2], after[folds != 2])


def test_blocks_must_match_the_tables() -> None:
    scores = ts.TermScores((np.zeros((3, 1), dtype=np.float32),))
    with pytest.raises(ValueError, match="terms"):
        scores.features(_blocks([[0]], 4))
    with pytest.raises(ValueError, match="blocks"):
        scores.features(_blocks([[0]], 3) * 2)
