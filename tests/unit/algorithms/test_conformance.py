"""One conformance suite, run against every registered algorithm."""

from __future__ import annotations

import dataclasses
import json

import pytest

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache, ModelData
from essaygrader.algorithms.metrics import quadratic_weighted_kappa
from essaygrader.algorithms.model_format import MAGIC, decode_model, encode_model
from essaygrader.algorithms.quality import out_of_fold_points
from essaygrader.algorithms.registry import BUILTIN_ALGORITHMS, AlgorithmRegistry, AlgorithmSpec
from essaygrader.errors import InternalError, RequestError

from .synthetic import graded_essays

# Synthetic essays are so regular that the default stack would rarely use its booster;
# a fixed blend walks that path too.
REGISTRY = AlgorithmRegistry(
    {"default-stacked": AlgorithmSpec(BUILTIN_ALGORITHMS["default"].class_path, {"blend": 0.5})}
)
ALGORITHMS = REGISTRY.ids()
POINTS = [0, 1, 2, 3]
ODD_ESSAYS = ["", "   \n\t  ", "Ünïcödé façade — naïve café 😀 日本語の作文。", "word " * 400, "?!"]


@pytest.fixture(scope="module")
def training() -> tuple[list[str], list[int]]:
    return graded_essays(80, POINTS, seed=1)


@pytest.fixture(scope="module")
def unseen() -> tuple[list[str], list[int]]:
    return graded_essays(40, POINTS, seed=2)


@pytest.fixture(scope="module", params=ALGORITHMS)
def fitted(request: pytest.FixtureRequest, training: tuple[list[str], list[int]]):
    texts, points = training
    return REGISTRY.new(request.param).fit(texts, points, valid_points=POINTS)


def _round_trip(classifier):
    blob = encode_model(classifier.to_model())
    return REGISTRY.load(classifier.algorithm_id, decode_model(blob))


def test_algorithms_are_registered() -> None:
    assert set(BUILTIN_ALGORITHMS) == {"fake", "default", "ease"}
    assert set(BUILTIN_ALGORITHMS) <= set(ALGORITHMS)


def test_scores_every_essay_with_a_valid_point_and_a_confidence(fitted, unseen) -> None:
    texts, _ = unseen
    scores = fitted.predict(texts + ODD_ESSAYS)
    assert len(scores) == len(texts) + len(ODD_ESSAYS)
    assert all(score.points in POINTS for score in scores)
    assert all(0.0 <= score.confidence <= 1.0 for score in scores)


def test_learns_to_grade_unseen_essays(fitted, unseen) -> None:
    texts, points = unseen
    predicted = [score.points for score in fitted.predict(texts)]
    assert quadratic_weighted_kappa(points, predicted, POINTS) > 0.5


def test_round_trip_gives_identical_scores(fitted, unseen) -> None:
    texts = unseen[0] + ODD_ESSAYS
    assert _round_trip(fitted).predict(texts) == fitted.predict(texts)


def test_same_seed_same_model(training, unseen) -> None:
    texts, points = training
    for algorithm_id in ALGORITHMS:
        first = REGISTRY.new(algorithm_id).fit(texts, points, valid_points=POINTS)
        second = REGISTRY.new(algorithm_id).fit(texts, points, valid_points=POINTS)
        assert first.predict(unseen[0]) == second.predict(unseen[0]), algorithm_id
        assert first.to_model().metadata == second.to_model().metadata, algorithm_id


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_non_contiguous_points(algorithm_id: str) -> None:
    texts, points = graded_essays(60, [0, 2, 5], seed=3)
    classifier = REGISTRY.new(algorithm_id).fit(texts, points, valid_points=[0, 2, 5])
    scores = classifier.predict(graded_essays(30, [0, 2, 5], seed=4)[0] + ODD_ESSAYS)
    assert {score.points for score in scores} <= {0, 2, 5}
    assert len({score.points for score in scores}) > 1


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_points_never_earned_in_training_stay_allowed(algorithm_id: str) -> None:
    texts, points = graded_essays(60, [1, 2, 3], seed=5)
    valid = [0, 1, 2, 3, 4, 10]
    classifier = REGISTRY.new(algorithm_id).fit(texts, points, valid_points=valid)
    assert {s.points for s in classifier.predict(texts + ODD_ESSAYS)} <= set(valid)


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_unicode_and_blank_essays_in_training(algorithm_id: str) -> None:
    texts, points = graded_essays(40, POINTS, seed=6)
    texts[:3] = ["", "  \n ", "Ünïcödé 😀 日本語"]
    classifier = REGISTRY.new(algorithm_id).fit(texts, points, valid_points=POINTS)
    assert {s.points for s in classifier.predict(ODD_ESSAYS)} <= set(POINTS)


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_one_score_for_every_example(algorithm_id: str) -> None:
    texts, _ = graded_essays(20, POINTS, seed=7)
    classifier = REGISTRY.new(algorithm_id).fit(texts, [2] * 20, valid_points=POINTS)
    assert {s.points for s in classifier.predict(texts + ODD_ESSAYS)} <= set(POINTS)
    assert _round_trip(classifier).predict(texts) == classifier.predict(texts)


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_a_single_example_sets_every_score(algorithm_id: str) -> None:
    classifier = REGISTRY.new(algorithm_id).fit(["The only example."], [2], valid_points=POINTS)
    scores = classifier.predict(ODD_ESSAYS)
    assert {s.points for s in scores} == {2}
    assert all(s.confidence < 1.0 for s in scores if algorithm_id != "fake")


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_predict_or_export_before_fit_raises(algorithm_id: str) -> None:
    classifier = REGISTRY.new(algorithm_id)
    with pytest.raises(InternalError) as predicting:
        classifier.predict(["an essay"])
    with pytest.raises(InternalError) as exporting:
        classifier.to_model()
    assert predicting.value.code == exporting.value.code == "not_fitted"


def test_shared_cache_changes_nothing(training, unseen) -> None:
    texts, points = training
    criteria = {"a": points, "b": [3 - p for p in points]}
    for algorithm_id in ALGORITHMS:
        cache = FeatureCache()
        shared = {
            name: REGISTRY.new(algorithm_id).fit(texts, earned, valid_points=POINTS, cache=cache)
            for name, earned in criteria.items()
        }
        for name, earned in criteria.items():
            alone = REGISTRY.new(algorithm_id).fit(texts, earned, valid_points=POINTS)
            assert shared[name].predict(unseen[0], cache=cache) == alone.predict(unseen[0])


def test_tampered_payload_is_refused(fitted) -> None:
    blob = bytearray(encode_model(fitted.to_model()))
    blob[-20] ^= 0xFF
    with pytest.raises(InternalError):
        REGISTRY.load(fitted.algorithm_id, decode_model(bytes(blob)))


def test_corrupt_payload_behind_a_valid_checksum_is_refused(fitted) -> None:
    model = fitted.to_model()
    for position in (len(model.payload) // 3, len(model.payload) // 2, len(model.payload) - 30):
        payload = bytearray(model.payload)
        payload[position] ^= 0xFF
        damaged = dataclasses.replace(model, payload=bytes(payload))
        try:
            loaded = REGISTRY.load(fitted.algorithm_id, decode_model(encode_model(damaged)))
        except InternalError:
            continue
        # A flip in bytes the format ignores (zip timestamps) must leave the model intact.
        assert loaded.predict(["an essay about the park"]) == fitted.predict(
            ["an essay about the park"]
        )


def test_edited_header_is_refused(fitted) -> None:
    blob = encode_model(fitted.to_model())
    start = len(MAGIC) + 4
    end = blob.index(b"}", start)
    with pytest.raises(InternalError):
        decode_model(blob[:start] + blob[start:end].replace(b'"', b"'", 1) + blob[end:])
    with pytest.raises(InternalError):
        decode_model(blob[: start - 1] + b"\xff" + blob[start:])


def test_edited_metadata_is_refused(fitted) -> None:
    model = fitted.to_model()
    edited = json.loads(json.dumps(model.metadata))
    edited["valid_points"] = [7]
    with pytest.raises(InternalError):
        REGISTRY.load(fitted.algorithm_id, dataclasses.replace(model, metadata=edited))


def test_model_from_another_algorithm_is_refused(fitted) -> None:
    other = next(a for a in BUILTIN_ALGORITHMS if a != fitted.algorithm_id)
    with pytest.raises(InternalError):
        REGISTRY.load(other, fitted.to_model())


def test_wrong_format_version_is_refused_with_a_retrain_message(fitted) -> None:
    model = fitted.to_model()
    future = ModelData(model.algorithm_id, model.format_version + 1, model.metadata, model.payload)
    with pytest.raises(InternalError, match="retrain") as refused:
        REGISTRY.load(fitted.algorithm_id, decode_model(encode_model(future)))
    assert refused.value.code == "incompatible_model"
    assert not refused.value.retryable


def test_training_quality_comes_from_valid_aligned_out_of_fold_points(fitted, training) -> None:
    # Training reports quality from out-of-fold predictions: the algorithm's own when it
    # makes them while fitting, otherwise from k-fold refits of fresh classifiers.
    texts, points = training
    predicted, method = out_of_fold_points(
        fitted,
        texts,
        points,
        valid_points=POINTS,
        cache=FeatureCache(),
    )
    assert method == ("fit" if hasattr(fitted, "oof_points_") else "k-fold")
    assert len(predicted) == len(texts)
    assert set(predicted) <= set(POINTS)
    assert quadratic_weighted_kappa(points, predicted, POINTS) > 0.5


def test_stacked_default_keeps_its_booster_through_a_round_trip(training) -> None:
    texts, points = training
    classifier = REGISTRY.new("default-stacked").fit(texts, points, valid_points=POINTS)
    assert classifier.booster_ is not None
    assert _round_trip(classifier).booster_ is not None


def _learned(classifier: CriterionClassifier) -> list[str]:
    return [name for name in vars(classifier) if name.endswith("_")]


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_an_unknown_parameter_is_refused_by_name(algorithm_id: str) -> None:
    spec = REGISTRY.spec(algorithm_id)
    misspelt = AlgorithmRegistry(
        {algorithm_id: AlgorithmSpec(spec.class_path, {**spec.params, "sede": 1})}
    )
    valid = REGISTRY.classifier_class(algorithm_id).param_names()
    with pytest.raises(RequestError, match=rf"algorithm '{algorithm_id}.*'sede'") as refused:
        misspelt.new(algorithm_id)
    assert refused.value.code == "unknown_algorithm_parameter"
    assert refused.value.field == "params.sede"
    assert all(name in str(refused.value) for name in valid)
    with pytest.raises(RequestError, match="'sede'"):
        REGISTRY.new(algorithm_id).set_params(sede=1)


@pytest.mark.parametrize("algorithm_id", ALGORITHMS)
def test_get_params_round_trips_through_the_constructor(algorithm_id: str) -> None:
    classifier = REGISTRY.new(algorithm_id)
    params = classifier.get_params()
    assert sorted(params) == type(classifier).param_names()
    assert params.items() >= dict(REGISTRY.spec(algorithm_id).params).items()
    assert type(classifier)(**params).get_params() == params
    assert classifier.set_params(**params).get_params() == params
    # The constructor stores its arguments unchanged: no copies, no conversions.
    marker = object()
    for name in params:
        assert getattr(type(classifier)(**{name: marker}), name) is marker


def test_clone_is_unfitted_with_equal_params(fitted) -> None:
    copy = fitted.clone()
    assert type(copy) is type(fitted)
    assert copy is not fitted
    assert copy.get_params() == fitted.get_params()
    assert _learned(fitted)
    assert _learned(copy) == []
    with pytest.raises(InternalError) as refused:
        copy.predict(["an essay"])
    assert refused.value.code == "not_fitted"


def test_params_survive_the_model_format(fitted) -> None:
    model = fitted.to_model()
    assert model.metadata["params"] == fitted.get_params()
    assert type(fitted).from_model(model).get_params() == fitted.get_params()
    assert _round_trip(fitted).get_params() == fitted.get_params()


def test_a_stored_parameter_the_class_lacks_is_a_load_error(fitted) -> None:
    model = fitted.to_model()
    params = {**model.metadata["params"], "sede": 1}
    edited = dataclasses.replace(model, metadata={**model.metadata, "params": params})
    with pytest.raises(InternalError, match="'sede'") as refused:
        REGISTRY.load(fitted.algorithm_id, decode_model(encode_model(edited)))
    assert refused.value.code == "algorithm_load_error"
    assert not refused.value.retryable


def test_a_model_stored_before_its_parameters_loads_with_defaults(fitted, unseen) -> None:
    model = fitted.to_model()
    metadata = {k: v for k, v in model.metadata.items() if k != "params"}
    loaded = type(fitted).from_model(dataclasses.replace(model, metadata=metadata))
    assert sorted(loaded.get_params()) == type(fitted).param_names()
    assert {s.points for s in loaded.predict(unseen[0])} <= set(POINTS)
