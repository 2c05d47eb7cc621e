"""CSV that essaygrader writes: cells a spreadsheet would run as formulas are made text."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from essaygrader.domain.exports import result_columns, spreadsheet_safe, write_csv

SRC = Path(__file__).resolve().parents[3] / "src" / "essaygrader"


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=", "-"],
)
def test_formula_cells_are_prefixed(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("value", ["student-7", "", "a=b", " =x", 3, -2, 0.5, None])
def test_other_cells_are_left_alone(value):
    assert spreadsheet_safe(value) == value


def test_write_csv_makes_every_text_cell_safe_header_included():
    buffer = io.StringIO()
    columns = ["student_id", "=cmd.option", "points"]
    write_csv(buffer, columns, [{"student_id": "@x", "=cmd.option": "+y", "points": -1}, {}])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["student_id", "'=cmd.option", "points"], ["'@x", "'+y", "-1"], ["", "", ""]]


def test_results_columns_name_each_scored_criterion_and_all_feedback():
    columns = result_columns(["ideas"], ["ideas", "comments"])
    assert columns[-6:] == [
        "ideas.option",
        "ideas.points",
        "ideas.confidence",
        "ideas.feedback",
        "comments.feedback",
        "overall_feedback",
    ]


def test_no_module_writes_csv_any_other_way():
    # One function makes cells safe; a writer elsewhere would skip it.
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "exports.py" and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
