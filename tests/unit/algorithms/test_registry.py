from __future__ import annotations

import pytest

from essaygrader.algorithms.fake import FakeClassifier
from essaygrader.algorithms.registry import AlgorithmRegistry, AlgorithmSpec
from essaygrader.errors import InternalError, RequestError


def test_builtins_and_settings_entries():
    registry = AlgorithmRegistry(
        {"slow": AlgorithmSpec("essaygrader.algorithms.fake:FakeClassifier", {"score_delay": 0.01})}
    )
    assert {"fake", "slow"} <= set(registry.ids())
    classifier = registry.new("slow")
    assert isinstance(classifier, FakeClassifier)
    assert classifier.params == {"score_delay": 0.01}


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


class OtherClassifier(FakeClassifier):
    algorithm_id = "other"
