"""Stored models are untrusted input: a malformed one is a load error, never a crash.

Each case builds the malicious blob here. A load error is final (not retryable): reading
the same bytes again fails again. LightGBM's own parser aborts or crashes the process on
text it does not expect, so those cases load in a child process, where a crash fails the
test instead of ending pytest.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pytest

from essaygrader.algorithms.base import ModelData
from essaygrader.algorithms.booster_text import check_booster_text
from essaygrader.algorithms.model_format import (
    MAGIC,
    MAX_UNPACKED_BYTES,
    decode_model,
    encode_model,
    pack_arrays,
    unpack_arrays,
)
from essaygrader.algorithms.registry import BUILTIN_ALGORITHMS, AlgorithmRegistry, AlgorithmSpec
from essaygrader.errors import EssayGraderError

from .synthetic import graded_essays

REGISTRY = AlgorithmRegistry(
    {"default-stacked": AlgorithmSpec(BUILTIN_ALGORITHMS["default"].class_path, {"blend": 0.5})}
)
POINTS = [0, 1, 2, 3]
DEEP = 100_000
MIB = 1 << 20


def assert_load_error(excinfo: pytest.ExceptionInfo[EssayGraderError], *words: str) -> None:
    error = excinfo.value
    assert error.code == "algorithm_load_error", error
    assert not error.retryable
    for word in words:
        assert word in str(error)


@pytest.fixture(scope="module")
def models() -> dict[str, ModelData]:
    """Small trained models: ``default`` with its booster, ``ease`` multiclass and a
    regression ``ease`` (eight point values), whose trees have many splits."""
    texts, points = graded_essays(40, POINTS, seed=31)
    wide = list(range(8))
    regression_texts, regression_points = graded_essays(48, wide, seed=32)
    return {
        "default-stacked": REGISTRY.new("default-stacked")
        .fit(texts, points, valid_points=POINTS)
        .to_model(),
        "ease": REGISTRY.new("ease").fit(texts, points, valid_points=POINTS).to_model(),
        "ease-regression": REGISTRY.new("ease")
        .fit(regression_texts, regression_points, valid_points=wide)
        .to_model(),
    }


def booster_text(model: ModelData) -> str:
    return unpack_arrays(model.payload)["booster"].tobytes().decode()


def with_booster(model: ModelData, text: str) -> ModelData:
    arrays = unpack_arrays(model.payload)
    arrays["booster"] = np.frombuffer(text.encode(), dtype=np.uint8)
    return dataclasses.replace(model, payload=pack_arrays(arrays))


# Arrays: sizes known before a byte is inflated ---------------------------------------


def npy_header(shape: tuple[int, ...], dtype: object) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def npz(name: str, header: bytes, zeros: int) -> bytes:
    """An archive of one member: ``header``, then ``zeros`` zero bytes, written a MiB at a
    time so that the test never holds them."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as packed,
        packed.open(name, "w", force_zip64=True) as member,
    ):
        member.write(header)
        chunk = bytes(MIB)
        for _ in range(zeros // MIB):
            member.write(chunk)
        member.write(bytes(zeros % MIB))
    return buffer.getvalue()


def traced_peak(read: Callable[[], object]) -> tuple[pytest.ExceptionInfo[EssayGraderError], int]:
    """Run ``read``, which must raise, and the most memory Python and NumPy held meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(EssayGraderError) as refused:
            read()
        return refused, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1.4 MB of valid archive holding 257 MiB of float64 zeros."""
    size = MAX_UNPACKED_BYTES + MIB
    return npz("weights.npy", npy_header((size // 8,), "<f8"), size)


def test_an_archive_that_inflates_past_the_limit_is_refused_before_inflating(bomb) -> None:
    assert len(bomb) < 2 * MIB
    refused, peak = traced_peak(lambda: unpack_arrays(bomb))
    assert_load_error(refused, "unpack to", "limit")
    assert peak < 16 * MIB


def test_a_bomb_in_a_stored_model_is_a_load_error(bomb, models) -> None:
    model = dataclasses.replace(models["ease"], payload=bomb)
    refused, peak = traced_peak(lambda: REGISTRY.load("ease", model))
    assert_load_error(refused, "limit")
    assert peak < 16 * MIB


def test_an_array_header_claiming_more_than_its_member_holds_is_refused() -> None:
    # Eight bytes of data behind a header that promises eight gigabytes.
    lying = npz("weights.npy", npy_header((10**9,), "<f8"), 8)
    refused, peak = traced_peak(lambda: unpack_arrays(lying))
    assert_load_error(refused, "needs 8,000,000,000 bytes")
    assert peak < 16 * MIB


@pytest.mark.parametrize(("dtype", "shape"), [("|O", (2,)), ("<f8", (-1,)), ([("a", "<f8")], (2,))])
def test_arrays_that_are_not_plain_data_are_refused(dtype: object, shape: tuple[int, ...]) -> None:
    with pytest.raises(EssayGraderError) as refused:
        unpack_arrays(npz("weights.npy", npy_header(shape, dtype), 16))
    assert_load_error(refused, "malformed")


# JSON: bounded depth, never RecursionError --------------------------------------------


def envelope(header: bytes, payload: bytes = b"") -> bytes:
    return MAGIC + struct.pack(">I", len(header)) + header + payload


def test_a_deeply_nested_header_is_a_load_error() -> None:
    deep = b"[" * DEEP + b"]" * DEEP
    header = b'{"algorithm_id": "fake", "format_version": 1, "metadata": {"x": ' + deep + b"}}"
    with pytest.raises(EssayGraderError) as refused:
        decode_model(envelope(header))
    assert_load_error(refused, "model header is malformed", "nested")


def test_nesting_past_the_bound_is_refused_even_when_python_could_parse_it(models) -> None:
    model = models["ease"]
    nested: object = 0
    for _ in range(40):
        nested = [nested]
    blob = encode_model(dataclasses.replace(model, metadata={**model.metadata, "x": nested}))
    with pytest.raises(EssayGraderError) as refused:
        decode_model(blob)
    assert_load_error(refused, "nested more than 32 levels")


def test_a_deeply_nested_fake_payload_is_a_load_error() -> None:
    model = ModelData("fake", 1, {"valid_points": [0, 1]}, b"[" * DEEP + b"]" * DEEP)
    with pytest.raises(EssayGraderError) as refused:
        REGISTRY.load("fake", decode_model(encode_model(model)))
    assert_load_error(refused, "fake model is malformed")


def test_a_deeply_nested_line_in_a_booster_is_a_load_error(models) -> None:
    # LightGBM's Python package parses the text's last line as JSON.
    model = models["default-stacked"]
    text = booster_text(model).replace(
        "pandas_categorical:null", "pandas_categorical:" + "[" * DEEP
    )
    with pytest.raises(EssayGraderError) as refused:
        REGISTRY.load("default-stacked", with_booster(model, text))
    assert_load_error(refused, "default model is malformed")


# LightGBM text: checked before LightGBM parses it -------------------------------------


def edit_tree(text: str, number: int, change: Callable[[dict[str, str]], None]) -> str:
    """``text`` with tree ``number``'s fields changed, its ``tree_sizes`` kept true."""
    head, _, body = text.partition("\n\n")
    sizes = [int(size) for size in re.search(r"tree_sizes=(.*)", head).group(1).split()]
    trees, start = [], 0
    for size in sizes:
        trees.append(body[start : start + size])
        start += size
    heading, *lines = trees[number].rstrip("\n").split("\n")
    fields = dict(line.split("=", 1) for line in lines)
    change(fields)
    lines = [f"{key}={value}" for key, value in fields.items()]
    trees[number] = "\n".join([heading, *lines]) + "\n\n\n"
    head = re.sub(r"tree_sizes=.*", "tree_sizes=" + " ".join(str(len(t)) for t in trees), head)
    return head + "\n\n" + "".join(trees) + body[start:]


def first_tree_with_splits(text: str, splits: int = 2) -> int:
    counts = [int(n) for n in re.findall(r"^num_leaves=(\d+)$", text, re.MULTILINE)]
    return next(i for i, leaves in enumerate(counts) if leaves > splits)


def set_item(key: str, index: int, value: str) -> Callable[[dict[str, str]], None]:
    def change(fields: dict[str, str]) -> None:
        items = fields[key].split(" ")
        items[index] = value
        fields[key] = " ".join(items)

    return change


def malformed_boosters(text: str) -> dict[str, tuple[str, str]]:
    """Edited booster texts, each with words its refusal must say; several used to kill
    the process (SIGFPE, SIGSEGV, abort) or hang it."""
    tree = first_tree_with_splits(text)
    first_size = re.search(r"tree_sizes=(\d+)", text).group(1)
    return {
        "divide_by_zero": (
            text.replace("num_tree_per_iteration=1", "num_tree_per_iteration=0"),
            "num_tree_per_iteration",
        ),
        "parameter_line": (text.replace("[boosting: gbdt]", "[boosting gbdt]"), "does not end"),
        "tree_offsets": (
            text.replace(f"tree_sizes={first_size}", f"tree_sizes={int(first_size) + 1}"),
            "tree_sizes",
        ),
        "leaves_beyond_arrays": (
            edit_tree(text, tree, lambda f: f.update(num_leaves=str(int(f["num_leaves"]) + 1))),
            "does not hold",
        ),
        "absurd_leaves": (
            edit_tree(text, tree, lambda f: f.update(num_leaves="2000000000")),
            "num_leaves",
        ),
        "absurd_classes": (
            text.replace("num_class=1", "num_class=1000000000").replace(
                "num_tree_per_iteration=1", "num_tree_per_iteration=1000000000"
            ),
            "num_class",
        ),
        "absurd_features": (
            text.replace("max_feature_idx=", "max_feature_idx=99999999", 1),
            "max_feature_idx",
        ),
        "child_cycle": (edit_tree(text, tree, set_item("left_child", 1, "0")), "form a tree"),
        "child_out_of_range": (
            edit_tree(text, tree, set_item("right_child", 0, "-1000000")),
            "form a tree",
        ),
        "feature_out_of_range": (
            edit_tree(text, tree, set_item("split_feature", 0, "1000000")),
            "feature it does not have",
        ),
        "categorical_split": (
            edit_tree(text, tree, set_item("decision_type", 0, "1")),
            "decision type",
        ),
        "missing_field": (edit_tree(text, tree, lambda f: f.pop("leaf_value")), "fields"),
        "nul_byte": (text.replace("Tree=1\n", "Tree=1\x00\n"), "printable ASCII"),
    }


CHILD = """
import json, resource, sys
from pathlib import Path

# An absurd size must not take the machine's memory with it if the checks miss it.
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from essaygrader.algorithms.model_format import decode_model
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.errors import EssayGraderError

for path in sorted(Path(sys.argv[1]).glob("*.model")):
    print(path.stem, file=sys.stderr, flush=True)
    try:
        classifier = AlgorithmRegistry().load("ease", decode_model(path.read_bytes()))
        classifier.predict(["an essay about the park", "the dog ran home"])
        outcome = {"loaded": True}
    except EssayGraderError as exc:
        outcome = {"code": exc.code, "retryable": exc.retryable, "message": str(exc)}
    print(json.dumps([path.stem, outcome]), flush=True)
"""


def test_malformed_boosters_are_load_errors_and_never_crash_the_process(models, tmp_path) -> None:
    model = models["ease-regression"]
    cases = malformed_boosters(booster_text(model))
    for name, (text, _) in cases.items():
        (tmp_path / f"{name}.model").write_bytes(encode_model(with_booster(model, text)))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, (
        f"loading killed the process ({child.returncode}) at the last case named here:\n"
        + child.stderr[-2000:]
    )
    outcomes = dict(json.loads(line) for line in child.stdout.splitlines())
    assert set(outcomes) == set(cases)
    for name, (_, words) in cases.items():
        outcome = outcomes[name]
        assert outcome.get("code") == "algorithm_load_error", (name, outcome)
        assert outcome["retryable"] is False, name
        assert words in outcome["message"], (name, outcome["message"])


@pytest.mark.parametrize(
    ("params", "labels"),
    [
        ({"objective": "regression"}, lambda x: x[:, 0]),
        ({"objective": "binary"}, lambda x: (x[:, 0] > 0).astype(float)),
        ({"objective": "multiclass", "num_class": 3}, lambda x: np.digitize(x[:, 0], [-0.5, 0.5])),
        ({"objective": "regression"}, lambda x: np.ones(len(x))),  # one-leaf trees
    ],
)
def test_boosters_as_lightgbm_writes_them_pass_the_checks(params, labels) -> None:
    features = np.random.default_rng(0).normal(size=(200, 6))
    booster = lgb.train(
        {**params, "num_leaves": 5, "verbose": -1, "num_threads": 1},
        lgb.Dataset(features, labels(features)),
        num_boost_round=3,
    )
    check_booster_text(booster.model_to_string())


def test_a_booster_that_does_not_fit_the_rest_of_its_model_is_refused(models) -> None:
    ease, default = models["ease"], models["default-stacked"]
    foreign = with_booster(ease, booster_text(default))
    with pytest.raises(EssayGraderError) as refused:
        REGISTRY.load("ease", foreign)
    assert_load_error(refused, "ease model is malformed", "inputs")
