"""Tables of graded examples and of essays, as CSV (with a header) or JSONL text.

Files come from the command line and from the dashboard's uploads; both read them here.
Every problem is an :class:`InputFileError` naming the source, and the row and column
where there is one, so a person can find and fix it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from essaygrader.errors import EssayGraderError, RequestError

TABLE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def table_kind(name: str, source: str) -> str:
    """``csv`` or ``jsonl``, from a file name's suffix.

    Raises:
        RequestError: ``input_file_invalid``; another suffix, naming ``source``.
    """
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = TABLE_FORMATS.get(suffix)
    if kind is None:
        raise RequestError(
            f"unknown file type {suffix!r}; use .csv or .jsonl",
            field=source,
            code="input_file_invalid",
        )
    return kind


def decode_text(data: bytes, source: str) -> str:
    """Bytes as UTF-8 text (a byte-order mark is allowed).

    Raises:
        RequestError: ``input_file_invalid``; the bytes are not UTF-8, naming ``source``.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
            field=source,
            code="input_file_invalid",
        ) from exc


def parse_table(
    text: str,
    kind: str,
    source: str,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Rows of a CSV or JSONL table, as ``{column: value}``.

    Raises:
        RequestError: ``input_file_invalid``; malformed, a required column missing, an unknown
            column present,
            or no rows; naming ``source``.
    """
    columns, rows = _csv_rows(source, text) if kind == "csv" else _jsonl_rows(source, text)
    required, allowed = list(required), set(required) | set(optional)
    for name in required:
        if name not in columns:
            raise RequestError(
                f"missing column {name!r}; expected columns: {', '.join(required)}",
                field=source,
                code="input_file_invalid",
            )
    unknown = sorted(set(columns) - allowed)
    if unknown:
        raise RequestError(
            f"unknown column {unknown[0]!r}; expected columns: {', '.join(sorted(allowed))}",
            field=source,
            code="input_file_invalid",
        )
    if not rows:
        raise RequestError("has no rows", field=source, code="input_file_invalid")
    return rows


def _csv_rows(source: str, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, Any]] = []
    try:
        for number, row in enumerate(reader, 1):
            if None in row:
                raise RequestError(
                    f"row {number} has more fields than the header",
                    field=source,
                    code="input_file_invalid",
                )
            rows.append({key: value if value is not None else "" for key, value in row.items()})
    except csv.Error as exc:
        raise RequestError(
            f"malformed CSV near row {reader.line_num}: {exc}",
            field=source,
            code="input_file_invalid",
        ) from exc
    return list(reader.fieldnames or []), rows


def _jsonl_rows(source: str, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RequestError(
                f"line {number}: malformed JSON: {exc.msg}", field=source, code="input_file_invalid"
            ) from exc
        if not isinstance(row, dict):
            raise RequestError(
                f"line {number}: expected a JSON object", field=source, code="input_file_invalid"
            )
        rows.append({str(k): v for k, v in row.items()})
    return list(dict.fromkeys(k for row in rows for k in row)), rows


def example_rows(
    text: str, kind: str, source: str, rubric: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Training examples from a table: ``text`` plus one option-name column per scored
    criterion (columns of feedback-only criteria are allowed and ignored)."""
    scored = [c["name"] for c in rubric["criteria"] if c["options"]]
    feedback = [c["name"] for c in rubric["criteria"] if not c["options"]]
    rows = parse_table(text, kind, source, required=["text", *scored], optional=feedback)
    return [
        {"text": row.get("text"), "options_selected": {name: row.get(name) for name in scored}}
        for row in rows
    ]


def essay_rows(text: str, kind: str, source: str) -> list[dict[str, Any]]:
    """Submissions from a table with ``student_id``, ``text`` and optional ``external_id``."""
    rows = parse_table(
        text, kind, source, required=["student_id", "text"], optional=["external_id"]
    )
    return [
        {
            "student_id": row.get("student_id"),
            "answer": row.get("text"),
            "external_id": row.get("external_id") or None,
        }
        for row in rows
    ]


_INDEXED = re.compile(r"^(examples|submissions)\[(\d+)\](?:\.(.+))?$")
_COLUMN_OF = {"answer": "text", "answer.text": "text", "text": "text"}


def row_and_column(field: str | None) -> tuple[int, str] | None:
    """The table row (from 1) and column an API field such as
    ``examples[3].options_selected.ideas`` points at; None for other fields."""
    match = _INDEXED.match(field or "")
    if match is None:
        return None
    rest = match.group(3) or ""
    column = (
        rest.removeprefix("options_selected.")
        if rest.startswith("options_selected.")
        else _COLUMN_OF.get(rest, rest)
    )
    return int(match.group(2)) + 1, column


def locate(error: EssayGraderError, source: str) -> EssayGraderError:
    """Re-point an API error about ``examples[i]...`` at the table's row and column."""
    found = row_and_column(error.field)
    if found is None:
        return error
    row, column = found
    where = f"row {row}" + (f", column {column!r}" if column else "")
    return type(error)(error.message, field=f"{source} {where}", **error.details)
