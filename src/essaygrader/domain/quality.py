"""The quality gate: an item's ``min_qwk`` keeps a weak model from grading students."""

from __future__ import annotations

import re
from typing import Any

from essaygrader.errors import RequestError

# Every quality-gate failure starts with this and names the gate as "min_qwk <value>",
# so a failed workflow's stored error tells which gate it failed (see gate_failed_at).
PREFIX = "quality gate:"
_GATE = re.compile(re.escape(PREFIX) + r".*?\bmin_qwk (-?[0-9][0-9.eE+-]*)")


def check_quality_gate(metrics: dict[str, Any] | None, min_qwk: float | None) -> None:
    """Refuse classifiers whose cross-validated QWK falls below ``min_qwk`` on any criterion.

    Raises:
        RequestError: ``quality_gate_failed``; naming each criterion below the gate and its QWK.
    """
    if min_qwk is None:
        return
    criteria = (metrics or {}).get("criteria")
    if not criteria:
        raise RequestError(
            f"{PREFIX} the item's min_qwk {min_qwk} requires a cross-validated QWK, "
            "but training recorded no quality figures",
            code="quality_gate_failed",
        )
    below = {name: c["qwk"] for name, c in criteria.items() if c["qwk"] < min_qwk}
    if below:
        listed = ", ".join(f"{name!r} {qwk:.3f}" for name, qwk in below.items())
        raise RequestError(
            f"{PREFIX} cross-validated QWK below the item's min_qwk {min_qwk} for "
            f"{listed}; the classifiers were not activated and the previous set, if any, "
            "keeps grading. Add or correct training examples, then train again",
            criteria=below,
            code="quality_gate_failed",
        )


def gate_failed_at(last_error: str | None) -> float | None:
    """The ``min_qwk`` a training workflow failed against, from its stored error; None
    when it failed for another reason (or not at all)."""
    match = _GATE.search(last_error or "")
    if match is None:
        return None
    try:
        return float(match.group(1).rstrip("."))
    except ValueError:
        return None


def would_fail_again(last_error: str | None, min_qwk: float | None) -> bool:
    """Whether training the same examples again must fail the gate again: it failed the
    gate before, and the item's gate is no lower now. Training is deterministic, so the
    same examples give the same quality."""
    failed_at = gate_failed_at(last_error)
    return failed_at is not None and min_qwk is not None and min_qwk >= failed_at
