"""The boosted half of the ``default`` algorithm: LightGBM stacked on ridge.

Trees see the raw hand features, the ridge model's prediction, the essay's term scores
(:mod:`.term_scores`), and the counts of the 200 word n-grams that best separate good from
weak training essays (EASE's Fisher-test selection, :mod:`.ngram_selection`). They
correct the linear model where the relation bends (very short or very long essays,
spelling past a threshold) and where a key phrase matters more than its share of a
TF-IDF vector.

Out-of-fold predictions, for choosing the blend weights and for the cut-points, come from
k-fold training in which each fold selects its own n-grams; the final booster sees every
essay. LightGBM models are kept in LightGBM's own text format, which loads without
running code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

from essaygrader.algorithms.booster_text import check_booster_text
from essaygrader.algorithms.features import Design
from essaygrader.algorithms.ngram_selection import select_discriminating_ngrams

# Chosen on the dev ids of the benchmark's folds, never on its test ids: against 300
# rounds of 15-leaf trees, as accurate and four times faster.
BOOSTER_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.06,
    "num_leaves": 7,
    "min_data_in_leaf": 30,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}
BOOSTER_ROUNDS = 150
# Below this many essays a booster has nothing to learn that ridge has not.
MIN_ESSAYS_TO_BOOST = 30


def fold_ids(n: int, folds: int, seed: int) -> NDArray[np.int64]:
    """A fold number for each of ``n`` essays, shuffled reproducibly."""
    ids = np.arange(n) % folds
    np.random.default_rng(seed).shuffle(ids)
    return ids


def _train(
    features: NDArray[np.float64], targets: NDArray[np.float64], seed: int, rounds: int
) -> lgb.Booster:
    params = {**BOOSTER_PARAMS, "seed": seed}
    data = lgb.Dataset(features, label=targets, params={"verbose": -1}, free_raw_data=True)
    return lgb.train(params, data, num_boost_round=rounds)


def out_of_fold(
    design: Callable[[NDArray[np.int64]], NDArray[np.float64]],
    targets: NDArray[np.float64],
    folds: NDArray[np.int64],
    *,
    seed: int,
    rounds: int = BOOSTER_ROUNDS,
) -> NDArray[np.float64]:
    """Each essay's prediction by a booster trained on the other folds.

    Args:
        design: Given the training rows of a fold, the feature matrix of every essay
            (what the features learn, such as selected n-grams, may use only those rows).
        targets: Each essay's points.
        folds: Each essay's fold number.
        seed: LightGBM's seed.
        rounds: Boosting rounds.
    """
    predictions = np.zeros(len(targets))
    for fold in np.unique(folds):
        train = np.flatnonzero(folds != fold)
        held_out = np.flatnonzero(folds == fold)
        features = design(train)
        booster = _train(features[train], targets[train], seed, rounds)
        predictions[held_out] = booster.predict(features[held_out])
    return predictions


def blend_weights(
    predictions: NDArray[np.float64], targets: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Non-negative weights summing to one with the least squared error of the blend.

    Args:
        predictions: Out-of-fold predictions, essays by models.
        targets: Each essay's points.
    """
    # A heavily weighted extra row holds the sum at one; rescaling removes what is left.
    penalty = 1e3 * max(1.0, float(np.abs(targets).max(initial=0.0)))
    system = np.vstack([predictions, np.full(predictions.shape[1], penalty)])
    weights, _ = nnls(system, np.append(targets, penalty))
    total = float(weights.sum())
    if total <= 0.0:
        weights = np.zeros(predictions.shape[1])
        weights[0] = total = 1.0
    return np.asarray(weights / total, dtype=np.float64)


@dataclass(frozen=True)
class Stack:
    """A fitted stack: booster, its n-grams, and the weights of the blend.

    Attributes:
        booster: None when the booster gets no weight in the blend.
        ngrams: The n-grams whose counts the booster sees.
        weights: Weight of the ridge prediction, of each further linear view, and last
            of the booster; non-negative, summing to one.
        out_of_fold: The blended out-of-fold prediction of each training essay.
    """

    booster: lgb.Booster | None
    ngrams: list[str]
    weights: NDArray[np.float64]
    out_of_fold: NDArray[np.float64]


def fit_stack(
    design: Design,
    terms: Sequence[str],
    targets: NDArray[np.float64],
    ridge_out_of_fold: NDArray[np.float64],
    *,
    folds: int,
    seed: int,
    blend: float | None = None,
    views: NDArray[np.float64] | None = None,
    term_features: NDArray[np.float64] | None = None,
) -> Stack:
    """Fit the booster on the ridge's leave-one-out predictions and blend them.

    Args:
        design: The training essays.
        terms: The word n-gram of each column of ``design.word_counts``.
        targets: Each essay's points.
        ridge_out_of_fold: The ridge model's leave-one-out prediction of each essay.
        folds: k of the k-fold out-of-fold predictions.
        seed: Fold assignment and LightGBM seed.
        blend: A fixed weight for the ridge prediction (the booster gets the rest, the
            views nothing); by default the non-negative weights, summing to one, that
            minimise out-of-fold squared error.
        views: Leave-one-out predictions of further linear models, essays by models,
            blended beside the ridge and the booster.
        term_features: Out-of-fold term scores of the essays (:mod:`.term_scores`),
            given to the booster beside the hand features.
    """
    counts = design.word_counts

    def features(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        columns = select_discriminating_ngrams(counts[rows], targets[rows])
        return stack_features(design, ridge_out_of_fold, term_features, columns)

    boosted = out_of_fold(features, targets, fold_ids(len(targets), folds, seed), seed=seed)
    extra = np.zeros((len(targets), 0)) if views is None else views
    predictions = np.column_stack([ridge_out_of_fold, extra, boosted])
    if blend is None:
        weights = blend_weights(predictions, targets)
    else:
        weights = np.zeros(predictions.shape[1])
        weights[0], weights[-1] = blend, 1.0 - blend
    oof = predictions @ weights
    if weights[-1] == 0.0:
        return Stack(None, [], weights, oof)
    ngrams = [terms[c] for c in select_discriminating_ngrams(counts, targets)]
    booster = _train(features(np.arange(len(targets))), targets, seed, BOOSTER_ROUNDS)
    return Stack(booster, ngrams, weights, oof)


def stack_features(
    design: Design,
    ridge: NDArray[np.float64],
    term_features: NDArray[np.float64] | None,
    ngram_columns: NDArray[np.int64],
) -> NDArray[np.float64]:
    """The booster's inputs: raw hand features, ridge prediction, term scores, n-gram counts."""
    terms = np.zeros((len(ridge), 0)) if term_features is None else term_features
    counts = design.word_counts[:, ngram_columns].toarray()
    return np.column_stack([design.raw_hand, ridge, terms, counts])


def booster_to_array(booster: lgb.Booster) -> NDArray[np.uint8]:
    """LightGBM's own text form of a booster, as bytes in an array for the model archive."""
    return np.frombuffer(str(booster.model_to_string()).encode("utf-8"), dtype=np.uint8)


def booster_from_array(array: NDArray[np.uint8]) -> lgb.Booster:
    """Rebuild a booster from :func:`booster_to_array`; LightGBM parses it as data.

    The text is checked first (:mod:`.booster_text`): LightGBM's own parser crashes the
    process on text it does not expect.

    Raises:
        ValueError: The array is not one line of bytes, or the text is not a booster
            this project writes (UnicodeDecodeError when it is not text).
        lightgbm.basic.LightGBMError: LightGBM refused the text all the same.
    """
    if array.ndim != 1 or array.dtype != np.uint8:
        raise ValueError(f"booster array has shape {array.shape} and dtype {array.dtype}")
    text = array.tobytes().decode("ascii")
    check_booster_text(text)
    # Of the text's parameters LightGBM keeps only the linear-tree flag (refused above);
    # predict takes its own, so none are passed here.
    return lgb.Booster(model_str=text)
