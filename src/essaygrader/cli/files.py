"""Reading the command line's input files: rubric JSON, and CSV or JSONL tables.

Every problem is a request error that names the file, and the row and column where
there is one, so a person can find and fix it. The table formats themselves live in
:mod:`essaygrader.domain.tables`, shared with the dashboard's uploads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from essaygrader.api.training import MAX_REPORTED_ERRORS
from essaygrader.domain import tables
from essaygrader.errors import EssayGraderError, RequestError

__all__ = [
    "check_examples",
    "locate",
    "read_essays",
    "read_examples",
    "read_json",
    "read_table",
    "read_text",
]


def read_text(path: Path) -> str:
    """A file's text, which must be UTF-8 (a byte-order mark is allowed)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequestError(
            f"cannot be read: {exc.strerror}", field=str(path), code="input_file_invalid"
        ) from exc
    return tables.decode_text(data, str(path))


def read_json(path: Path) -> Any:
    """Parse a JSON file."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            field=str(path),
            code="input_file_invalid",
        ) from exc


def read_table(
    path: Path, *, required: Iterable[str], optional: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Rows of a CSV (with a header) or JSONL file, as ``{column: text}``.

    Raises:
        RequestError: ``input_file_invalid``; unknown format, not UTF-8, malformed, a required
            column missing
            or an unknown column present.
    """
    kind = tables.table_kind(path.name, str(path))
    return tables.parse_table(
        read_text(path), kind, str(path), required=required, optional=optional
    )


def locate(
    error: EssayGraderError, path: Path, rows: tables.TableRows | None = None
) -> EssayGraderError:
    """Re-point an API error about ``examples[i]...`` at the file's line and column."""
    return tables.locate(error, str(path), rows)


def check_examples(
    client: Any, course_id: str, item_id: str, path: Path, examples: tables.TableRows
) -> list[str]:
    """Check every example with the service before training, as the dashboard does.

    Returns:
        The warnings of a valid set.

    Raises:
        RequestError: ``input_file_invalid``, listing each bad example by its line and
            column in ``path``.
    """
    checked = client.check_training_examples(course_id, item_id, list(examples))
    if checked["valid"]:
        return list(checked["warnings"])
    problems = tables.checked_problems(checked["errors"], examples)
    more = len(problems) >= MAX_REPORTED_ERRORS
    raise tables.problems_error(problems, str(path), more=more)


def read_examples(path: Path, rubric: Mapping[str, Any]) -> tables.TableRows:
    """Training examples from a table: ``text`` plus one option-name column per scored
    criterion (columns of feedback-only criteria are allowed and ignored)."""
    kind = tables.table_kind(path.name, str(path))
    return tables.example_rows(read_text(path), kind, str(path), rubric)


def read_essays(path: Path) -> tables.TableRows:
    """Submissions from a table with ``student_id``, ``text`` and optional ``external_id``."""
    kind = tables.table_kind(path.name, str(path))
    return tables.essay_rows(read_text(path), kind, str(path))
