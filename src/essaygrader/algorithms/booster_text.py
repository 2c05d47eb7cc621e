"""LightGBM's text model, held to the grammar and bounds of ours before LightGBM reads it.

LightGBM's parser trusts its input. Sizes in the text become allocations and offsets
(``tree_sizes`` says where each tree starts, ``num_leaves`` how many numbers to read from
a line, whether the line has them or not), ``num_tree_per_iteration`` is a divisor, a
tree's child indices are followed without bounds checks, and a line it cannot parse ends
the process (``abort`` from inside an OpenMP loop, or a segmentation fault) instead of
raising. A stored model is untrusted input, so :func:`check_booster_text` reads the
whole text first and refuses anything outside what LightGBM writes for the boosters of
this project (format ``v4``; regression, binary or multiclass; numerical splits; no linear
trees), or beyond the sane maxima below, with a ValueError.
"""

from __future__ import annotations

import re

# Sane maxima: ``default`` stacks 150 trees of 7 leaves on about 300 inputs, ``ease``
# 100 rounds of 16-leaf trees per class on about 230, with at most 5 classes; its text
# is 160 kB for the 1,783 essays of ASAP prompt 1.
MAX_TEXT_CHARS = 16 * 1024 * 1024
MAX_CLASSES = 100
MAX_FEATURES = 100_000
MAX_TREES = 10_000
MAX_LEAVES = 131_072  # LightGBM's own limit on num_leaves

_TEXT = re.compile(r"[\x20-\x7e\n]*")
_INT = r"-?\d{1,10}"
_FLOAT = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|-?inf|-?nan"
_NAME = r"[A-Za-z0-9_.\-]+"
_INFO = rf"none|\[(?:{_FLOAT}):(?:{_FLOAT})\]"
_OBJECTIVE = re.compile(rf"regression|binary sigmoid:(?:{_FLOAT})|multiclass num_class:(\d{{1,3}})")
_LISTS: dict[str, re.Pattern[str]] = {}
_HEADER_KEYS = (
    "version",
    "num_class",
    "num_tree_per_iteration",
    "label_index",
    "max_feature_idx",
    "objective",
    "feature_names",
    "feature_infos",
    "tree_sizes",
)
# A tree's fields: how many numbers each holds (per leaf, or per split) and of what kind.
_LEAF_FIELDS = {"leaf_value": _FLOAT, "leaf_weight": _FLOAT, "leaf_count": _INT}
_SPLIT_FIELDS = {
    "split_feature": _INT,
    "split_gain": _FLOAT,
    "threshold": _FLOAT,
    "decision_type": _INT,
    "left_child": _INT,
    "right_child": _INT,
    "internal_value": _FLOAT,
    "internal_weight": _FLOAT,
    "internal_count": _INT,
}
_TREE_KEYS = {"num_leaves", "num_cat", "is_linear", "shrinkage", *_LEAF_FIELDS, *_SPLIT_FIELDS}
# decision_type bits: 1 categorical (refused: no categorical features here), 2 default
# left, then two bits of missing-value handling (0 none, 1 zero, 2 NaN).
_DECISION_TYPES = frozenset(default | missing << 2 for default in (0, 2) for missing in (0, 1, 2))
_TRAILER = re.compile(
    r"end of trees\n\n"
    rf"feature_importances:\n(?:{_NAME}=\d{{1,10}}\n)*\n"
    r"parameters:\n(?:\[[a-z0-9_]{1,64}: [\w.,+\- ]{0,256}\]\n)*\n"
    r"end of parameters\n\n"
    r"pandas_categorical:null\n",
    re.ASCII,
)


def check_booster_text(text: str) -> None:
    """Refuse a LightGBM text model that LightGBM could not read safely.

    Raises:
        ValueError: The text breaks the grammar or a bound; the message says where.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"booster text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
        )
    if not _TEXT.fullmatch(text):
        raise ValueError("booster text holds characters other than printable ASCII")
    header_text, _, body = text.partition("\n\n")
    header = _header(header_text)
    features = _integer(header, "max_feature_idx", 0, MAX_FEATURES - 1) + 1
    classes = _integer(header, "num_class", 1, MAX_CLASSES)
    if _integer(header, "num_tree_per_iteration", 1, MAX_CLASSES) != classes:
        raise ValueError("booster's num_tree_per_iteration differs from its num_class")
    _integer(header, "label_index", 0, 0)
    if header["version"] != "v4":
        raise ValueError(f"booster text has version {header['version']!r}, not 'v4'")
    objective = _OBJECTIVE.fullmatch(header["objective"])
    if objective is None:
        raise ValueError(f"booster has objective {header['objective'][:40]!r}")
    if (int(objective.group(1)) if objective.group(1) else 1) != classes:
        raise ValueError("booster's objective does not match its num_class")
    _array(header["feature_names"], _NAME, features, "feature_names")
    _array(header["feature_infos"], _INFO, features, "feature_infos")
    if not re.fullmatch(r"\d{1,10}(?: \d{1,10})*", header["tree_sizes"]):
        raise ValueError("booster's tree_sizes are not whole numbers")
    sizes = [int(size) for size in header["tree_sizes"].split(" ")]
    if len(sizes) > MAX_TREES or len(sizes) % classes:
        raise ValueError(f"booster has {len(sizes)} trees for {classes} per iteration")
    start = 0
    for number, size in enumerate(sizes):
        _tree(body[start : start + size], number, features)
        start += size
    if not _TRAILER.fullmatch(body, start):
        raise ValueError("booster text does not end as LightGBM writes it")


def _header(text: str) -> dict[str, str]:
    lines = text.split("\n")
    if lines[0] != "tree":
        raise ValueError("booster text does not start with 'tree'")
    header = _fields(lines[1:], "booster header")
    if set(header) != set(_HEADER_KEYS):
        raise ValueError(f"booster header has fields {sorted(header)}")
    return header


def _fields(lines: list[str], where: str) -> dict[str, str]:
    """``key=value`` lines as a dict, refusing blank lines, other lines and repeated keys."""
    fields = {}
    for line in lines:
        key, equals, value = line.partition("=")
        if not equals or "=" in value or not key or key in fields:
            raise ValueError(f"{where} has a malformed line {line[:40]!r}")
        fields[key] = value
    return fields


def _integer(fields: dict[str, str], key: str, low: int, high: int) -> int:
    if not re.fullmatch(_INT, fields[key]) or not low <= int(fields[key]) <= high:
        raise ValueError(f"booster's {key} is {fields[key][:20]!r}, not in [{low}, {high}]")
    return int(fields[key])


def _array(value: str, item: str, count: int, where: str) -> None:
    """Refuse ``value`` unless it is exactly ``count`` items separated by single spaces."""
    if count == 0 and value == "":
        return
    if value.count(" ") + 1 != count or not _list(item).fullmatch(value):
        raise ValueError(f"booster's {where} does not hold {count} numbers or names")


def _list(item: str) -> re.Pattern[str]:
    if item not in _LISTS:
        _LISTS[item] = re.compile(rf"(?:{item})(?: (?:{item}))*")
    return _LISTS[item]


def _tree(text: str, number: int, features: int) -> None:
    """Refuse tree ``number``: what LightGBM reads from ``Tree=`` through two blank lines."""
    heading = f"Tree={number}\n"
    if not (text.startswith(heading) and text.endswith("\n\n\n")):
        raise ValueError(f"booster tree {number} is not where tree_sizes put it")
    tree = _fields(text[len(heading) : -3].split("\n"), f"booster tree {number}")
    if set(tree) != _TREE_KEYS:
        raise ValueError(f"booster tree {number} has fields {sorted(tree)}")
    where = f"tree {number}"
    leaves = _integer(tree, "num_leaves", 1, MAX_LEAVES)
    _integer(tree, "num_cat", 0, 0)
    _integer(tree, "is_linear", 0, 0)
    _array(tree["shrinkage"], _FLOAT, 1, f"{where} shrinkage")
    _array(tree["leaf_value"], _FLOAT, leaves, f"{where} leaf_value")
    _array(tree["leaf_count"], _INT, leaves, f"{where} leaf_count")
    if leaves == 1:
        # LightGBM reads nothing more of a one-leaf tree and writes the rest empty.
        if any(tree[key] for key in (*_SPLIT_FIELDS, "leaf_weight")):
            raise ValueError(f"booster {where} has one leaf but splits")
        return
    _array(tree["leaf_weight"], _FLOAT, leaves, f"{where} leaf_weight")
    for key, kind in _SPLIT_FIELDS.items():
        _array(tree[key], kind, leaves - 1, f"{where} {key}")
    if not all(0 <= f < features for f in _ints(tree["split_feature"])):
        raise ValueError(f"booster {where} splits on a feature it does not have")
    if not set(_ints(tree["decision_type"])) <= _DECISION_TYPES:
        raise ValueError(f"booster {where} has a decision type other than numerical")
    _check_structure(_ints(tree["left_child"]), _ints(tree["right_child"]), where)


def _ints(value: str) -> list[int]:
    return [int(token) for token in value.split(" ")]


def _check_structure(left: list[int], right: list[int], where: str) -> None:
    """Refuse children that do not make one binary tree from split 0.

    Splits are numbered from 0 and leaves from ~0 (-1): every split but the root and
    every leaf must be reached exactly once, so following children always ends at a leaf.
    """
    splits, leaves = len(left), len(left) + 1
    seen_splits, seen_leaves = [True] + [False] * (splits - 1), [False] * leaves
    pending = [0]
    while pending:
        node = pending.pop()
        for child in (left[node], right[node]):
            if 0 <= child < splits and not seen_splits[child]:
                seen_splits[child] = True
                pending.append(child)
            elif -leaves <= child < 0 and not seen_leaves[~child]:
                seen_leaves[~child] = True
            else:
                raise ValueError(f"booster {where} has children that do not form a tree")
    if not all(seen_leaves):
        raise ValueError(f"booster {where} has leaves no split reaches")
