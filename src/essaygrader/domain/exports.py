"""Tables essaygrader writes for people to open: CSV that a spreadsheet cannot run.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and some also after a leading tab or carriage return; a student id or an essay's external
id is whatever a platform sent, so a cell like ``=HYPERLINK(...)`` would run on the
desk of whoever opens the export. Every CSV the project writes goes through
:func:`write_csv`, which prefixes such cells with ``'`` (OWASP's advice): the spreadsheet
shows the text, and nothing runs. Numbers stay numbers; JSON Lines output is not
changed, since no spreadsheet reads it as formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value``, with a ``'`` before text that a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(handle: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write a header and ``rows`` as CSV, every text cell (header included) made safe.

    Args:
        columns: The header, in order; a row's missing columns are written empty.
    """
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([spreadsheet_safe(name) for name in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(row.get(name, "")) for name in columns])


RESULT_COLUMNS = (
    "submission_uuid",
    "grading_workflow_uuid",
    "student_id",
    "external_id",
    "status",
    "review_status",
    "source",
    "scorer_id",
    "scored_at",
    "points_earned",
    "points_possible",
    "flags",
)
CRITERION_COLUMNS = ("option", "points", "confidence")


def result_columns(scored: Iterable[str], criteria: Iterable[str] = ()) -> list[str]:
    """The columns of a results export, the same in the CLI and the dashboard.

    The submission's columns, three per scored criterion, the feedback on each criterion
    (scored or not), then the overall feedback.

    Args:
        scored: The rubric's scored criteria, in order.
        criteria: Every criterion of the rubric, in order (feedback-only ones too).
    """
    return [
        *RESULT_COLUMNS,
        *(f"{c}.{part}" for c in scored for part in CRITERION_COLUMNS),
        *(f"{c}.feedback" for c in criteria),
        "overall_feedback",
    ]


def result_row(submission: Mapping[str, Any]) -> dict[str, Any]:
    """One submission of a results page and its current assessment, by column.

    The current assessment is the newest staff one, else the newest released AI one (see
    ``current_assessment``); a held AI grade is not a result yet, so its row says
    ``pending`` in ``review_status`` and carries no grade. ``flags`` lists the current
    assessment's advisory flag codes, space-separated.
    """
    row: dict[str, Any] = {
        key: submission.get(key)
        for key in ("submission_uuid", "grading_workflow_uuid", "student_id", "external_id")
    }
    row["status"] = submission["status"]
    row["review_status"] = submission.get("review_status")
    assessment = submission.get("assessment")
    if not assessment:
        return row
    row.update(
        source=submission.get("current_assessment_type") or assessment["type"],
        scorer_id=assessment["scorer_id"],
        scored_at=assessment["scored_at"],
        points_earned=assessment["points_earned"],
        points_possible=assessment["points_possible"],
        flags=" ".join(flag["code"] for flag in assessment.get("flags", ())),
        overall_feedback=assessment.get("overall_feedback", ""),
    )
    for part in assessment["parts"]:
        row[f"{part['criterion']}.option"] = part["option"]
        row[f"{part['criterion']}.points"] = part["points"]
        row[f"{part['criterion']}.confidence"] = part["confidence"]
    for criterion, text in (assessment.get("feedback") or {}).items():
        row[f"{criterion}.feedback"] = text
    return row
