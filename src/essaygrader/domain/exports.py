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
    "points_earned",
    "points_possible",
    "source",
)
CRITERION_COLUMNS = ("option", "points", "confidence")


def result_columns(criteria: Iterable[str]) -> list[str]:
    """The columns of a results export: the submission's, then three per scored criterion."""
    return [*RESULT_COLUMNS] + [f"{c}.{part}" for c in criteria for part in CRITERION_COLUMNS]


def result_row(submission: Mapping[str, Any]) -> dict[str, Any]:
    """One submission of a results page (its status and latest assessment) as a row."""
    row: dict[str, Any] = {key: submission[key] for key in RESULT_COLUMNS[:5]}
    assessment = submission.get("assessment")
    if assessment:
        row["points_earned"] = assessment["points_earned"]
        row["points_possible"] = assessment["points_possible"]
        row["source"] = submission.get("current_assessment_type") or assessment["type"]
        for part in assessment["parts"]:
            row[f"{part['criterion']}.option"] = part["option"]
            row[f"{part['criterion']}.points"] = part["points"]
            row[f"{part['criterion']}.confidence"] = part["confidence"]
    return row
