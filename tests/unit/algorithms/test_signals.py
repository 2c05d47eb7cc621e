"""``default``'s optional signals: soft targets, relevance centroids, coherence features."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from essaygrader.algorithms import relevance
from essaygrader.algorithms.coherence import NAMES, coherence_features
from essaygrader.algorithms.default import DefaultClassifier
from essaygrader.algorithms.model_format import pack_arrays, unpack_arrays
from essaygrader.algorithms.text_stats import FEATURE_NAMES
from essaygrader.algorithms.tfidf import TfidfBlock, tokenize_all
from essaygrader.errors import InternalError

from .synthetic import graded_essays

POINTS = [0, 1, 2, 3]


@pytest.fixture(scope="module")
def training() -> tuple[list[str], list[int]]:
    return graded_essays(60, POINTS, seed=13)


def test_soft_targets_move_the_regression_but_not_the_cutpoints_truth(training) -> None:
    texts, points = training
    plain = DefaultClassifier(boost=False, cutpoint_resamples=0).fit(
        texts, points, valid_points=POINTS
    )
    # Halfway to the next point for every essay: the ridge learns a shifted scale.
    soft = [p + 0.5 for p in points]
    shifted = DefaultClassifier(boost=False, cutpoint_resamples=0).fit(
        texts, points, valid_points=POINTS, soft_targets=soft
    )
    assert shifted.intercept_ == pytest.approx(plain.intercept_ + 0.5, abs=1e-6)
    # The cut-points follow the shift, so the scores of the points stay the same.
    assert shifted.oof_points_ == plain.oof_points_


def test_soft_targets_of_the_wrong_length_are_refused(training) -> None:
    texts, points = training
    with pytest.raises(InternalError, match="soft_targets"):
        DefaultClassifier(boost=False).fit(
            texts, points, valid_points=POINTS, soft_targets=[1.0] * (len(points) - 1)
        )
    with pytest.raises(InternalError, match="soft_targets"):
        DefaultClassifier(boost=False).fit(
            texts, points, valid_points=POINTS, soft_targets=[float("nan")] * len(points)
        )


def test_centroids_measure_similarity_to_each_band() -> None:
    rows = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.6, 0.8]]))
    targets = np.array([3.0, 3.0, 0.0, 0.0, 1.0])
    centroids = relevance.Centroids.fit([rows], targets)
    features = centroids.features([rows])
    # Top band: the first two essays; bottom band: the next two.
    assert features[0, :2] == pytest.approx([1.0, 0.0])
    assert features[2, :2] == pytest.approx([0.0, 1.0])
    assert features[4, :2] == pytest.approx([0.6, 0.8])


def test_out_of_fold_centroids_never_see_the_essay() -> None:
    # One essay alone in its fold, unlike every other: its own row cannot match it.
    rows = sp.csr_matrix(np.vstack([np.tile([1.0, 0.0], (6, 1)), [[0.0, 1.0]]]))
    targets = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 3.0])
    folds = np.array([0, 0, 0, 0, 0, 0, 1])
    features = relevance.out_of_fold([rows], targets, folds)
    assert features[6] == pytest.approx([0.0, 0.0, 0.0])
    # Fitted on every essay, its own row would count towards the top band.
    assert relevance.Centroids.fit([rows], targets).features([rows[6]])[0, 0] > 0.3


def test_relevance_centroids_are_stored_and_checked_on_load(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(blend=0.5, relevance=True).fit(
        texts, points, valid_points=POINTS
    )
    model = classifier.to_model()
    arrays = unpack_arrays(model.payload)
    assert arrays["word_centroids"].shape == (classifier.space_.word.size, 3)
    assert classifier.booster_.num_feature() == (
        len(FEATURE_NAMES) + 1 + 8 + 6 + len(classifier.ngrams_)
    )
    assert DefaultClassifier.from_model(model).predict(texts[:5]) == classifier.predict(texts[:5])
    del arrays["char_centroids"]
    with pytest.raises(InternalError, match="one block"):
        DefaultClassifier.from_model(dataclasses.replace(model, payload=pack_arrays(arrays)))


def test_coherence_tells_a_focused_essay_from_a_wandering_one() -> None:
    focused = "The dog ran fast. The dog ran home. The dog ran far."
    wandering = "The dog ran fast. Apples grow on trees. Winter is very cold."
    tokens = tokenize_all([focused, wandering])
    block = TfidfBlock.fit_transform(tokens, "word", (1, 2), min_df=1)[0]
    features = coherence_features([focused, wandering, "One sentence only."], block)
    assert features.shape == (3, len(NAMES))
    assert features[0, 0] > features[1, 0] + 0.3
    assert features[0, 2] > features[1, 2]
    assert np.isnan(features[2, 0])


def test_coherence_features_reach_the_booster_and_survive_the_model(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(blend=0.5, coherence=True).fit(
        texts, points, valid_points=POINTS
    )
    assert classifier.booster_.num_feature() == (
        len(FEATURE_NAMES) + 1 + 8 + len(NAMES) + len(classifier.ngrams_)
    )
    loaded = DefaultClassifier.from_model(classifier.to_model())
    assert loaded.predict(texts[:5]) == classifier.predict(texts[:5])
