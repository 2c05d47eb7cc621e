"""``default``: its cut-point rule and term-score tables, kept in the model and checked."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from essaygrader.algorithms.cutpoints import apply_cutpoints
from essaygrader.algorithms.default import DefaultClassifier
from essaygrader.algorithms.model_format import pack_arrays, unpack_arrays
from essaygrader.algorithms.text_stats import FEATURE_NAMES
from essaygrader.errors import InternalError

from .synthetic import graded_essays

POINTS = [0, 1, 2, 3]


@pytest.fixture(scope="module")
def training() -> tuple[list[str], list[int]]:
    return graded_essays(60, POINTS, seed=11)


def test_the_chosen_rule_is_recorded_and_survives_the_model_format(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(boost=False).fit(texts, points, valid_points=POINTS)
    model = classifier.to_model()
    assert model.metadata["cutpoint_rule"] in {"bagged", "stretch"}
    assert model.metadata["params"]["cutpoint_rule"] == "auto"
    loaded = DefaultClassifier.from_model(model)
    assert loaded.cutpoint_rule_ == model.metadata["cutpoint_rule"]


def test_a_fixed_stretch_rule_places_evenly_spaced_cutpoints(training) -> None:
    texts, points = training
    stretched = DefaultClassifier(boost=False, cutpoint_rule="stretch").fit(
        texts, points, valid_points=POINTS
    )
    assert stretched.cutpoint_rule_ == "stretch"
    # A stretch of rounding keeps the thresholds of consecutive points evenly spaced.
    gaps = np.diff(stretched.cutpoints_)
    assert np.allclose(gaps, gaps[0])
    bagged = DefaultClassifier(boost=False, cutpoint_rule="bagged").fit(
        texts, points, valid_points=POINTS
    )
    assert bagged.cutpoint_rule_ == "bagged"
    assert not np.allclose(np.diff(bagged.cutpoints_), np.diff(bagged.cutpoints_)[0])


def test_an_unknown_rule_is_refused_naming_the_parameter(training) -> None:
    texts, points = training
    with pytest.raises(InternalError, match="cutpoint_rule"):
        DefaultClassifier(cutpoint_rule="median").fit(texts, points, valid_points=POINTS)


def test_term_score_tables_are_stored_and_checked_on_load(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(blend=0.5).fit(texts, points, valid_points=POINTS)
    model = classifier.to_model()
    arrays = unpack_arrays(model.payload)
    space = classifier.space_
    # Four point values: the score and three thresholds, per term.
    assert arrays["word_term_scores"].shape == (space.word.size, 4)
    assert arrays["char_term_scores"].shape == (space.char.size, 4)
    assert classifier.booster_.num_feature() == len(FEATURE_NAMES) + 1 + 8 + len(classifier.ngrams_)
    arrays["char_term_scores"] = arrays["char_term_scores"][:, :2]
    tampered = dataclasses.replace(model, payload=pack_arrays(arrays))
    with pytest.raises(InternalError, match="char_term_scores"):
        DefaultClassifier.from_model(tampered)


def test_the_regression_is_what_the_cutpoints_map_to_points(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(cutpoint_resamples=2).fit(
        texts, points, valid_points=sorted(set(points))
    )
    regression = classifier.predict_regression(texts[:10])
    assert regression.dtype == np.float64
    assert regression.shape == (10,)
    mapped = apply_cutpoints(regression, classifier.cutpoints_, classifier.valid_points_)
    assert [int(p) for p in mapped] == [s.points for s in classifier.predict(texts[:10])]
    assert classifier.predict_regression([]).shape == (0,)
    with pytest.raises(InternalError, match="before predict"):
        DefaultClassifier().predict_regression(texts[:1])


def test_a_0_to_100_scale_trains_stores_and_scores_within_its_points() -> None:
    texts, points = graded_essays(120, list(range(0, 101, 5)), seed=5)
    classifier = DefaultClassifier(cutpoint_resamples=2).fit(
        texts, points, valid_points=list(range(101))
    )
    loaded = DefaultClassifier.from_model(classifier.to_model())
    scores = [s.points for s in loaded.predict(texts[:30])]
    assert all(0 <= p <= 100 for p in scores)
    assert len(loaded.cutpoints_) == 100
    # Essays written to rank low and high are told apart on the wide scale.
    assert np.corrcoef(scores, points[:30])[0, 1] > 0.5


def test_the_rounding_rule_maps_the_regression_to_the_nearest_point(training) -> None:
    texts, points = training
    classifier = DefaultClassifier(boost=False, cutpoint_rule="rounding").fit(
        texts, points, valid_points=POINTS
    )
    assert classifier.cutpoint_rule_ == "rounding"
    regression = classifier.predict_regression(texts[:20])
    nearest = np.clip(np.rint(regression), 0, 3).astype(int).tolist()
    assert [s.points for s in classifier.predict(texts[:20])] == nearest
