"""``ease``: the first implementation's EASE scorer, rebuilt as a compatibility baseline.

Features (:mod:`.ease_features`, whose docstring explains the substitutes for aspell and
NLTK): lengths and counts, spelling errors, a grammar signal from word-class 2-4-grams,
prompt-word overlap when the item has a prompt, and counts of the 200 1-2-grams that
best separate essays above and below the median score by Fisher's exact test.

Model: gradient boosting as EASE configured scikit-learn's (100 trees of depth 4,
learning rate 0.05, at least 3 essays per leaf), a classifier when the training scores
take at most 5 distinct values and a regressor above. It runs on LightGBM in plain GBDT
mode, because LightGBM's own text format stores the trees as data; exporting
scikit-learn's tree internals by hand would tie models to private attributes that change
between releases. Like EASE, it cross-validates in 3 folds; unlike EASE, it keeps the
result: ``oof_points_`` and a calibrated confidence.

Scores: a classifier's most probable point; a regressor's prediction truncated to an
integer and snapped to the nearest valid point, as the first implementation turned
EASE's output into a score (``int()``, then the nearest point). Truncation costs the
regression prompts of the ASAP benchmark a good deal of agreement, and it is what the
published EASE figures measured; ``truncate=False`` rounds instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import lightgbm as lgb
import numpy as np
from lightgbm.basic import LightGBMError
from numpy.typing import NDArray

from essaygrader.algorithms import ease_features as ef
from essaygrader.algorithms.base import (
    CriterionClassifier,
    FeatureCache,
    ModelData,
    Score,
    check_training_data,
)
from essaygrader.algorithms.confidence import (
    IsotonicCalibration,
    band_probability,
    residual_spread,
)
from essaygrader.algorithms.cutpoints import (
    apply_cutpoints,
    initial_cutpoints,
    truncation_cutpoints,
)
from essaygrader.algorithms.features import essay_tokens
from essaygrader.algorithms.model_format import pack_arrays, unpack_arrays
from essaygrader.algorithms.ngram_selection import (
    count_columns,
    good_essays,
    select_discriminating_ngrams,
    training_counts,
)
from essaygrader.algorithms.provenance import library_versions
from essaygrader.algorithms.stacking import booster_from_array, booster_to_array, fold_ids
from essaygrader.algorithms.tfidf import tokenize
from essaygrader.errors import InternalError

MAX_CLASSIFIER_POINTS = 5
CV_FOLDS = 3
# scikit-learn's GradientBoosting as EASE set it, in LightGBM's terms: no row or column
# sampling, no extra regularisation, depth-limited trees.
GBM_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_depth": 4,
    "num_leaves": 16,
    "min_data_in_leaf": 3,
    "min_sum_hessian_in_leaf": 1e-6,
    "lambda_l2": 0.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}
GBM_ROUNDS = 100


class _Vocabulary:
    """What ``ease`` learns from texts before boosting: n-grams, grammar reference, prompt."""

    def __init__(
        self, ngrams: list[str], reference: ef.GrammarReference, prompt: frozenset[str]
    ) -> None:
        self.ngrams = ngrams
        self.reference = reference
        self.prompt = prompt

    def matrix(
        self,
        texts: Sequence[str],
        cache: FeatureCache,
        *,
        in_reference: NDArray[np.bool_] | None = None,
        bag: NDArray[np.float64] | None = None,
    ) -> NDArray[np.float64]:
        """The feature matrix of ``texts``: counts, grammar, prompt, then the bag.

        Args:
            texts: The essays.
            cache: Per-essay features shared with other criteria.
            in_reference: For training essays, which of them built the grammar reference.
            bag: The essays' counts of :attr:`ngrams`, when the caller has them already.
        """
        if in_reference is None:
            in_reference = np.zeros(len(texts), dtype=bool)
        if bag is None:
            bag = count_columns(texts, self.ngrams, cache)
        counts = cache.per_essay(
            "ease.counts",
            texts,
            lambda missing: [
                ef.count_features(tok, text)
                for tok, text in zip(essay_tokens(missing, cache), missing, strict=True)
            ],
        )
        grammar = [
            self.reference.features(grams, in_reference=bool(own))
            for grams, own in zip(_class_ngrams(texts, cache), in_reference, strict=True)
        ]
        prompt = [ef.prompt_features(t, self.prompt) for t in essay_tokens(texts, cache)]
        return np.column_stack([np.vstack(counts), np.vstack(grammar), np.vstack(prompt), bag])


def _class_ngrams(texts: Sequence[str], cache: FeatureCache) -> list[set[str]]:
    return cache.per_essay(
        "ease.class_ngrams",
        texts,
        lambda missing: [ef.class_ngrams(t) for t in essay_tokens(missing, cache)],
    )


class _TrainingSet:
    """Training essays with what every fold and criterion reuses: n-gram counts, classes."""

    def __init__(self, texts: list[str], prompt: str, cache: FeatureCache) -> None:
        self.texts = texts
        self.cache = cache
        terms, self.counts = training_counts(texts, cache)
        self.terms = np.asarray(terms, dtype=np.str_)  # sorted, as bag_matrix makes them
        self.classes = _class_ngrams(texts, cache)
        self.prompt = ef.prompt_vocabulary(tokenize(prompt))

    def learn(self, rows: NDArray[np.int64], targets: NDArray[np.float64]) -> _Vocabulary:
        """Learn n-grams and grammar reference from the essays at ``rows``."""
        columns = select_discriminating_ngrams(self.counts[rows], targets)
        reference = ef.GrammarReference.learn([self.classes[i] for i in rows], good_essays(targets))
        return _Vocabulary([str(self.terms[c]) for c in columns], reference, self.prompt)

    def features(
        self,
        vocabulary: _Vocabulary,
        rows: NDArray[np.int64],
        in_reference: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.float64]:
        """Feature matrix of the essays at ``rows`` under ``vocabulary``."""
        # The training n-grams are counted already; slicing beats recounting each essay.
        columns = np.searchsorted(self.terms, vocabulary.ngrams)
        bag = self.counts[rows][:, columns].toarray()
        texts = [self.texts[i] for i in rows]
        return vocabulary.matrix(texts, self.cache, in_reference=in_reference, bag=bag)


class EaseClassifier(CriterionClassifier):
    """EASE-style gradient boosting on count, spelling, grammar, prompt and n-gram features.

    Args:
        seed: Fold assignment and LightGBM's seed.
        truncate: Score a regression by truncating it before snapping to the nearest
            point, as EASE's scores were; False rounds it. The choice is kept in the
            model (``truncate_``); models stored before the parameter existed round.

    After ``fit``, ``oof_points_`` holds each training essay's prediction from a 3-fold
    cross-validation whose folds re-learn the n-gram selection and grammar reference, so
    it is an honest out-of-sample estimate.
    """

    algorithm_id = "ease"
    format_version = 1

    classes_: list[int]
    is_classifier_: bool
    truncate_: bool
    vocabulary_: _Vocabulary
    booster_: lgb.Booster | None
    spread_: float
    calibration_: IsotonicCalibration

    def __init__(self, *, seed: int = 0, truncate: bool = True) -> None:
        self.seed = seed
        self.truncate = truncate

    def fit(
        self,
        texts: Sequence[str],
        points: Sequence[int],
        *,
        valid_points: Sequence[int],
        cache: FeatureCache | None = None,
        prompt: str = "",
    ) -> Self:
        check_training_data(texts, points, valid_points)
        cache = cache if cache is not None else FeatureCache()
        texts = list(texts)
        targets = np.asarray(points, dtype=np.float64)
        seed = int(self.seed)
        self.valid_points_ = sorted({int(p) for p in valid_points})
        self.classes_ = sorted({int(p) for p in points})
        self.is_classifier_ = len(self.classes_) <= MAX_CLASSIFIER_POINTS
        self.truncate_ = bool(self.truncate)

        training = _TrainingSet(texts, prompt, cache)
        oof_raw = np.zeros(len(texts))
        oof_points = np.full(len(texts), self.classes_[0], dtype=np.int64)
        folds = fold_ids(len(texts), CV_FOLDS, seed)
        for fold in range(CV_FOLDS) if len(texts) >= 2 * CV_FOLDS else []:
            train, held = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
            vocabulary = training.learn(train, targets[train])
            good = good_essays(targets[train])
            booster = self._boost(training.features(vocabulary, train, good), targets[train], seed)
            raw, predicted = self._decide(booster, training.features(vocabulary, held))
            oof_raw[held], oof_points[held] = raw, predicted

        everyone = np.arange(len(texts))
        self.vocabulary_ = training.learn(everyone, targets)
        features = training.features(self.vocabulary_, everyone, good_essays(targets))
        self.booster_ = self._boost(features, targets, seed)
        exact = oof_points == targets.astype(np.int64)
        if self.is_classifier_:
            self.spread_ = 0.0
            self.calibration_ = IsotonicCalibration.fit(oof_raw, exact)
        else:
            # Regression: the raw certainty is the normal mass of the error over the band
            # that rounds to the predicted point.
            self.spread_ = residual_spread(oof_raw, targets)
            bands = band_probability(oof_raw, self._regression_cutpoints(), self.spread_)
            self.calibration_ = IsotonicCalibration.fit(bands, exact)
        self.oof_points_ = [int(p) for p in oof_points]
        return self

    def _regression_cutpoints(self) -> NDArray[np.float64]:
        if self.truncate_:
            return truncation_cutpoints(self.valid_points_)
        return initial_cutpoints(self.valid_points_)

    def _boost(
        self, features: NDArray[np.float64], targets: NDArray[np.float64], seed: int
    ) -> lgb.Booster | None:
        if len(self.classes_) == 1:
            return None  # Every example earned the same points: nothing to learn.
        params = {**GBM_PARAMS, "seed": seed}
        if not self.is_classifier_:
            params["objective"] = "regression"
            labels = targets
        else:
            labels = np.searchsorted(self.classes_, targets).astype(np.float64)
            if len(self.classes_) <= 2:
                params["objective"] = "binary"
            else:
                params.update(objective="multiclass", num_class=len(self.classes_))
        return lgb.train(params, lgb.Dataset(features, label=labels), num_boost_round=GBM_ROUNDS)

    def _decide(
        self, booster: lgb.Booster | None, features: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Raw output (top probability, or the regression value) and predicted points."""
        if booster is None:
            return np.ones(len(features)), np.full(len(features), self.classes_[0])
        output = np.asarray(booster.predict(features))
        if not self.is_classifier_:
            cuts = self._regression_cutpoints()
            return output, apply_cutpoints(output, cuts, self.valid_points_)
        classes = np.asarray(self.classes_)
        if len(classes) == 2:
            output = np.column_stack([1.0 - output, output])
        best = output.argmax(axis=1)
        return output.max(axis=1), classes[best]

    def predict(self, texts: Sequence[str], *, cache: FeatureCache | None = None) -> list[Score]:
        if not hasattr(self, "vocabulary_"):
            raise InternalError(
                "ease classifier: call fit or from_model before predict", code="not_fitted"
            )
        if not texts:
            return []
        cache = cache if cache is not None else FeatureCache()
        raw, points = self._decide(self.booster_, self.vocabulary_.matrix(list(texts), cache))
        if not self.is_classifier_:
            raw = band_probability(raw, self._regression_cutpoints(), self.spread_)
        confidence = self.calibration_(raw)
        return [
            Score(points=int(p), confidence=round(float(c), 4))
            for p, c in zip(points, confidence, strict=True)
        ]

    def to_model(self) -> ModelData:
        if not hasattr(self, "vocabulary_"):
            raise InternalError("ease classifier: nothing to export before fit", code="not_fitted")
        vocabulary = self.vocabulary_
        arrays = {
            "ngrams": np.array(vocabulary.ngrams or [""], dtype=np.str_),
            "reference": np.array(vocabulary.reference.grams or [""], dtype=np.str_),
            "reference_counts": np.array(vocabulary.reference.counts.tolist() or [0], np.int64),
            "prompt_words": np.array(sorted(vocabulary.prompt) or [""], dtype=np.str_),
            "calibration_raw": self.calibration_.raw,
            "calibration_value": self.calibration_.calibrated,
        }
        if self.booster_ is not None:
            arrays["booster"] = booster_to_array(self.booster_)
        metadata = {
            # The mapping the calibration was fitted for, whatever set_params changed since.
            "params": {**self.get_params(), "truncate": self.truncate_},
            "valid_points": self.valid_points_,
            "classes": self.classes_,
            "is_classifier": self.is_classifier_,
            "spread": self.spread_,
            "ngram_count": len(vocabulary.ngrams),
            "libraries": library_versions(),
        }
        return ModelData(self.algorithm_id, self.format_version, metadata, pack_arrays(arrays))

    @classmethod
    def from_model(cls, model: ModelData) -> Self:
        cls.check_format(model)
        # Models stored before the option existed rounded their regressions.
        classifier = cls(**cls.stored_params(model, before_added={"truncate": False}))
        arrays = unpack_arrays(model.payload)
        try:
            meta = model.metadata
            classifier.valid_points_ = sorted(int(p) for p in meta["valid_points"])
            classifier.classes_ = [int(p) for p in meta["classes"]]
            classifier.is_classifier_ = bool(meta["is_classifier"])
            classifier.spread_ = float(meta["spread"])
            classifier.truncate_ = bool(classifier.truncate)
            ngrams = [str(g) for g in arrays["ngrams"].tolist()][: int(meta["ngram_count"])]
            stored = zip(
                arrays["reference"].tolist(), arrays["reference_counts"].tolist(), strict=True
            )
            pairs = [(str(gram), int(count)) for gram, count in stored if gram]
            reference = ef.GrammarReference([g for g, _ in pairs], [c for _, c in pairs])
            classifier.vocabulary_ = _Vocabulary(
                ngrams,
                reference,
                frozenset(str(w) for w in arrays["prompt_words"].tolist() if w),
            )
            classifier.calibration_ = IsotonicCalibration.from_arrays(
                arrays["calibration_raw"], arrays["calibration_value"]
            )
            classifier.booster_ = (
                booster_from_array(arrays["booster"]) if "booster" in arrays else None
            )
            if not set(classifier.classes_) <= set(classifier.valid_points_):
                raise ValueError("classes are not among the valid points")
            if (classifier.booster_ is None) != (len(classifier.classes_) == 1):
                raise ValueError("booster presence does not match the classes")
            if classifier.is_classifier_ != (len(classifier.classes_) <= MAX_CLASSIFIER_POINTS):
                raise ValueError("is_classifier does not match the classes")
            if classifier.booster_ is not None:
                _check_booster(classifier.booster_, classifier)
        except (
            KeyError,
            ValueError,
            TypeError,
            IndexError,
            ArithmeticError,
            LightGBMError,
        ) as exc:
            raise InternalError(
                f"ease model is malformed: {exc}", code="algorithm_load_error"
            ) from exc
        return classifier


def _check_booster(booster: lgb.Booster, classifier: EaseClassifier) -> None:
    """Refuse a stored booster whose inputs or outputs do not fit the rest of the model.

    Raises:
        ValueError: They do not.
    """
    inputs = (
        len(ef.COUNT_FEATURES)
        + len(ef.GRAMMAR_FEATURES)
        + len(ef.PROMPT_FEATURES)
        + len(classifier.vocabulary_.ngrams)
    )
    if booster.num_feature() != inputs:
        raise ValueError(f"the booster takes {booster.num_feature()} inputs, not {inputs}")
    classes = len(classifier.classes_)
    outputs = classes if classifier.is_classifier_ and classes > 2 else 1
    if booster.num_model_per_iteration() != outputs:
        raise ValueError("the booster's outputs do not match the classes")
