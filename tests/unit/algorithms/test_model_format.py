from __future__ import annotations

import numpy as np
import pytest

from essaygrader.algorithms.base import FeatureCache, ModelData
from essaygrader.algorithms.model_format import (
    decode_model,
    encode_model,
    pack_arrays,
    unpack_arrays,
)
from essaygrader.errors import InternalError

MODEL = ModelData("fake", 1, {"valid_points": [0, 1]}, b"\x00payload\xff")


def test_round_trip():
    assert decode_model(encode_model(MODEL)) == MODEL


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda b: b"NOT-A-MODEL" + b, "bad magic"),
        (lambda b: b[:-1], "does not match its header checksum"),
        (lambda b: b[:-1] + b"X", "does not match its header checksum"),
        (lambda b: b[:22], "truncated"),
        (lambda b: b.replace(b'"format_version":1', b'"format_version":"x"'), "malformed"),
    ],
)
def test_damaged_models_are_refused(mangle, words):
    with pytest.raises(InternalError, match=words):
        decode_model(mangle(encode_model(MODEL)))


def test_arrays_round_trip_and_object_arrays_are_refused():
    arrays = {
        "weights": np.arange(6, dtype=np.float32).reshape(2, 3),
        "names": np.array(["a", "bc"]),
    }
    back = unpack_arrays(pack_arrays(arrays))
    assert np.array_equal(back["weights"], arrays["weights"])
    assert list(back["names"]) == ["a", "bc"]
    with pytest.raises(ValueError, match="dtype object"):
        pack_arrays({"bad": np.array([{"a": 1}], dtype=object)})


def test_pickled_arrays_are_never_loaded():
    import io

    buffer = io.BytesIO()
    np.savez(buffer, bad=np.array([{"x": 1}], dtype=object))
    with pytest.raises(InternalError, match="malformed"):
        unpack_arrays(buffer.getvalue())


def test_feature_cache_computes_each_essay_once():
    calls = []

    def compute(texts):
        calls.append(list(texts))
        return [len(t) for t in texts]

    cache = FeatureCache()
    assert cache.per_essay("len", ["a", "bb", "a"], compute) == [1, 2, 1]
    assert cache.per_essay("len", ["bb", "ccc"], compute) == [2, 3]
    assert calls == [["a", "bb"], ["ccc"]]
    assert cache.shared("vocab", ("a", "bb"), lambda: {"a": 0}) == {"a": 0}
    assert cache.shared("vocab", ("a", "bb"), lambda: {"changed": 1}) == {"a": 0}
