"""The quality gate: an item's ``min_qwk`` keeps a weak model from grading students."""

from __future__ import annotations

from typing import Any

from essaygrader.errors import RequestError


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
            f"quality gate: the item requires a cross-validated QWK of at least {min_qwk}, "
            "but training recorded no quality figures",
            code="quality_gate_failed",
        )
    below = {name: c["qwk"] for name, c in criteria.items() if c["qwk"] < min_qwk}
    if below:
        listed = ", ".join(f"{name!r} {qwk:.3f}" for name, qwk in below.items())
        raise RequestError(
            f"quality gate: cross-validated QWK below the item's min_qwk {min_qwk} for "
            f"{listed}; the classifiers were not activated and the previous set, if any, "
            "keeps grading. Add or correct training examples, then train again",
            criteria=below,
            code="quality_gate_failed",
        )
