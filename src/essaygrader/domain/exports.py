"""Tables essaygrader writes for people to open: CSV that a spreadsheet cannot run.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and some also after a leading tab or carriage return; a student id, an external id or a
feedback text is whatever a platform or a person typed, so a cell like ``=HYPERLINK(...)``
would run on the desk of whoever opens the file. :func:`write_csv` prefixes such cells
with ``'`` (OWASP's advice): the spreadsheet shows the text, and nothing runs. Numbers
stay numbers.
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
