from __future__ import annotations

import pytest

from essaygrader.algorithms.fake import FakeClassifier
from essaygrader.algorithms.registry import AlgorithmRegistry, AlgorithmSpec
from essaygrader.errors import InternalError, RequestError

FAKE = "essaygrader.algorithms.fake:FakeClassifier"


def test_builtins_and_settings_entries():
    registry = AlgorithmRegistry(
        {"slow": AlgorithmSpec("essaygrader.algorithms.fake:FakeClassifier", {"score_delay": 0.01})}
    )
    assert {"fake", "slow"} <= set(registry.ids())
    classifier = registry.new("slow")
    assert isinstance(classifier, FakeClassifier)
    assert classifier.get_params() == {"train_delay": 0.0, "score_delay": 0.01, "fail": None}


def test_unknown_ids_list_the_registered_ones():
    with pytest.raises(RequestError, match=r"unknown algorithm 'nope'; registered: .*fake"):
        AlgorithmRegistry().new("nope")


@pytest.mark.parametrize(
    "path",
    ["no.such.module:Thing", "essaygrader.errors:Nothing", "essaygrader.errors:EssayGraderError"],
)
def test_bad_class_paths_are_load_errors(path):
    with pytest.raises(InternalError, match="algorithm 'x'"):
        AlgorithmRegistry({"x": AlgorithmSpec(path)}).new("x")


def test_models_are_loaded_only_by_the_algorithm_that_made_them():
    registry = AlgorithmRegistry(
        {"other": AlgorithmSpec("tests.unit.algorithms.test_registry:OtherClassifier")}
    )
    model = FakeClassifier().fit(["a b", "c d e f"], [0, 1], valid_points=[0, 1]).to_model()
    assert registry.load("fake", model).predict(["a b"])[0].points == 0
    with pytest.raises(InternalError, match="made by algorithm 'fake'"):
        registry.load("other", model)


def test_a_misspelt_parameter_is_refused_naming_the_algorithm_and_the_valid_ones():
    registry = AlgorithmRegistry({"slow": AlgorithmSpec(FAKE, {"scroe_delay": 1})})
    with pytest.raises(
        RequestError,
        match=r"algorithm 'slow \(fake\)' has no parameter 'scroe_delay'; its parameters "
        r"are fail, score_delay, train_delay",
    ):
        registry.new("slow")
    model = FakeClassifier().fit(["a b", "c d e f"], [0, 1], valid_points=[0, 1]).to_model()
    with pytest.raises(RequestError, match="'scroe_delay'"):
        registry.load("slow", model)


def test_a_loaded_model_keeps_its_training_params_and_takes_scoring_params_from_settings():
    trained = FakeClassifier(train_delay=0.01).fit(["a b", "c d e f"], [0, 1], valid_points=[0, 1])
    broken = AlgorithmRegistry({"fake": AlgorithmSpec(FAKE, {"fail": "score"})})
    loaded = broken.load("fake", trained.to_model())
    assert loaded.get_params() == {"train_delay": 0.01, "score_delay": 0.0, "fail": "score"}
    with pytest.raises(InternalError) as refused:
        loaded.predict(["a b"])
    assert refused.value.code == "algorithm_scoring_error"
    # Settings that leave a scoring parameter out give it its default, whatever was stored.
    failing = FakeClassifier(fail="score")
    failing.centres_, failing.valid_points_ = {0: 2.0}, [0]
    assert AlgorithmRegistry().load("fake", failing.to_model()).predict(["a b"])[0].points == 0


def test_a_constructor_taking_any_keyword_is_refused():
    registry = AlgorithmRegistry(
        {"loose": AlgorithmSpec("tests.unit.algorithms.test_registry:LooseClassifier")}
    )
    with pytest.raises(InternalError, match=r"algorithm 'loose'.*explicit keyword"):
        registry.new("loose")


class OtherClassifier(FakeClassifier):
    algorithm_id = "other"


class LooseClassifier(FakeClassifier):
    def __init__(self, **params):
        super().__init__(**params)


def test_preload_imports_every_algorithm_once_and_reports_those_that_cannot_be(monkeypatch):
    import importlib

    registry = AlgorithmRegistry({"broken": AlgorithmSpec("no.such.module:Thing")})
    failures = registry.preload()
    assert list(failures) == ["broken"]
    assert "no.such.module:Thing" in failures["broken"]

    imported: list[str] = []
    real_import = importlib.import_module
    monkeypatch.setattr(
        importlib, "import_module", lambda name: imported.append(name) or real_import(name)
    )
    for algorithm_id in ("default", "ease", "fake"):
        registry.classifier_class(algorithm_id)
    assert imported == []
