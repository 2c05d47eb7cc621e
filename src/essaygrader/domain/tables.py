"""Tables of graded examples and of essays, as CSV (with a header) or JSONL text.

Files come from the command line and from the dashboard's uploads; both read them here.
Every problem is a request error (``input_file_invalid``) naming the source, and the row and column
where there is one, so a person can find and fix it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from essaygrader.domain.wording import counted
from essaygrader.errors import EssayGraderError, RequestError

TABLE_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DELIMITERS = ",;\t"
MAX_LISTED_PROBLEMS = 20


class TableRows(list[dict[str, Any]]):
    """A table's rows, and for each the line of the file it starts on (the header is
    line 1), so a problem is reported where a person finds it in an editor or a
    spreadsheet."""

    def __init__(self, rows: Iterable[dict[str, Any]], lines: Iterable[int]) -> None:
        super().__init__(rows)
        self.lines = list(lines)

    def line_of(self, index: int) -> int | None:
        """The line of row ``index`` (from 0), if there is such a row."""
        return self.lines[index] if 0 <= index < len(self.lines) else None


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
) -> TableRows:
    """Rows of a CSV or JSONL table, as ``{column: value}``.

    A CSV file may separate its fields with commas, semicolons (as spreadsheets do in
    many European languages) or tabs; the header line tells which.

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
                f"missing column {name!r}{_did_you_mean(name, columns)}; expected columns: "
                f"{', '.join(required)}",
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


def _did_you_mean(name: str, columns: Iterable[str]) -> str:
    """A hint when the header has ``name`` in another case or with spaces around it."""
    for column in columns:
        if column.strip().casefold() == name.casefold():
            return f" (the header has {column!r}: did you mean {name!r}? names must match exactly)"
    return ""


def sniff_delimiter(text: str) -> str:
    """The field separator of CSV ``text``, from its header line: ``,``, ``;`` or tab."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_rows(source: str, text: str) -> tuple[list[str], TableRows]:
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: list[str] | None = None
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    try:
        start = 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record:
                continue  # a blank line
            if columns is None:
                columns = record
                continue
            if len(record) > len(columns):
                raise RequestError(
                    f"line {line} has more fields than the header"
                    + ("" if delimiter == "," else f" (fields separated by {delimiter!r})"),
                    field=source,
                    code="input_file_invalid",
                )
            record += [""] * (len(columns) - len(record))
            rows.append(dict(zip(columns, record, strict=True)))
            lines.append(line)
    except csv.Error as exc:
        raise RequestError(
            f"malformed CSV near line {reader.line_num}: {exc}",
            field=source,
            code="input_file_invalid",
        ) from exc
    return columns or [], TableRows(rows, lines)


def _jsonl_rows(source: str, text: str) -> tuple[list[str], TableRows]:
    rows = []
    lines = []
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
        lines.append(number)
    return list(dict.fromkeys(k for row in rows for k in row)), TableRows(rows, lines)


def example_rows(text: str, kind: str, source: str, rubric: Mapping[str, Any]) -> TableRows:
    """Training examples from a table: ``text`` plus one option-name column per scored
    criterion (columns of feedback-only criteria are allowed and ignored)."""
    scored = [c["name"] for c in rubric["criteria"] if c["options"]]
    feedback = [c["name"] for c in rubric["criteria"] if not c["options"]]
    rows = parse_table(text, kind, source, required=["text", *scored], optional=feedback)
    return TableRows(
        (
            {"text": row.get("text"), "options_selected": {name: row.get(name) for name in scored}}
            for row in rows
        ),
        rows.lines,
    )


def essay_rows(text: str, kind: str, source: str) -> TableRows:
    """Submissions from a table with ``student_id``, ``text`` and optional ``external_id``.

    Raises:
        RequestError: As :func:`parse_table`; and, listing every such row (up to
            :data:`MAX_LISTED_PROBLEMS`), rows whose student id or text is empty.
    """
    rows = parse_table(
        text, kind, source, required=["student_id", "text"], optional=["external_id"]
    )
    essays = TableRows(
        (
            {
                "student_id": row.get("student_id"),
                "text": row.get("text"),
                "external_id": row.get("external_id") or None,
            }
            for row in rows
        ),
        rows.lines,
    )
    problems = [
        (line, column, "must not be empty")
        for essay, line in zip(essays, essays.lines, strict=True)
        for column in ("student_id", "text")
        if isinstance(essay[column], str) and not essay[column].strip()
    ]
    if problems:
        raise problems_error(problems, source)
    return essays


def problems_error(
    problems: Sequence[tuple[int | None, str, str]], source: str, *, more: bool = False
) -> RequestError:
    """One error for every problem of a file's rows: one of them as the usual single
    line; several one per line, the first :data:`MAX_LISTED_PROBLEMS` of them.

    Args:
        problems: ``(line, column, message)``; line None for the file as a whole.
        more: The checker stopped counting, so there may be others.
    """
    if len(problems) == 1 and not more:
        line, column, message = problems[0]
        return RequestError(message, field=source + _where(line, column), code="input_file_invalid")
    shown = [f"  {_where(line, column).lstrip()}: {message}" for line, column, message in problems]
    listed = shown[:MAX_LISTED_PROBLEMS]
    hidden = len(shown) - len(listed)
    if hidden or more:
        listed.append(f"  and {hidden}{' or more' if more else ''} more")
    count = counted(len(problems), "problem") + (" or more" if more else "")
    return RequestError(
        f"{count}, so nothing was stored; fix them all, then try again:\n" + "\n".join(listed),
        field=source,
        code="input_file_invalid",
    )


def _where(line: int | None, column: str) -> str:
    where = "" if line is None else f" line {line}"
    if column:
        where += f"{',' if where else ''} column {column!r}"
    return where


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


def checked_problems(
    errors: Iterable[Mapping[str, Any]], rows: TableRows
) -> list[tuple[int | None, str, str]]:
    """``check_training_examples`` errors as ``(line, column, message)`` of the table."""
    problems = []
    for error in errors:
        found = row_and_column(error.get("field"))
        row, column = found if found else (None, "")
        problems.append((rows.line_of(row - 1) if row else None, column, error["message"]))
    return problems


def locate(error: EssayGraderError, source: str, rows: TableRows | None = None) -> EssayGraderError:
    """Re-point an API error about ``examples[i]...`` at the table's line and column."""
    found = row_and_column(error.field)
    if found is None:
        return error
    row, column = found
    line = rows.line_of(row - 1) if rows is not None else None
    where = f"line {line}" if line is not None else f"row {row}"
    where += f", column {column!r}" if column else ""
    return type(error)(error.message, field=f"{source} {where}", **error.details)
