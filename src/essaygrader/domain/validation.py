"""Checks shared by every boundary: each failure names the field, as a path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from essaygrader.errors import RequestError

MAX_ID_CHARS = 255


def require_mapping(
    value: Any, field: str, code: str, allowed: set[str] | None = None
) -> Mapping[str, Any]:
    """``value`` as a JSON object; with ``allowed``, unknown keys are refused."""
    if not isinstance(value, Mapping):
        raise RequestError(f"must be an object, not {type(value).__name__}", field=field, code=code)
    if allowed is not None:
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise RequestError(
                f"unknown field {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}",
                field=field,
                code=code,
            )
    return value


def require_text(
    value: Any,
    field: str,
    code: str,
    *,
    max_chars: int,
    allow_empty: bool = False,
) -> str:
    """``value`` as a string within ``max_chars``; blank refused unless ``allow_empty``."""
    if not isinstance(value, str):
        raise RequestError(f"must be a string, not {type(value).__name__}", field=field, code=code)
    if not allow_empty and not value.strip():
        raise RequestError("must not be empty", field=field, code=code)
    if len(value) > max_chars:
        raise RequestError(
            f"is {len(value):,} characters; the limit is {max_chars:,}", field=field, code=code
        )
    # Databases refuse both: PostgreSQL has no NUL in text, and no encoding holds a
    # lone surrogate. Refusing them here names the field instead of failing on write.
    if "\x00" in value:
        raise RequestError("must not contain NUL characters", field=field, code=code)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestError(
            "is not valid Unicode text (it holds an unpaired surrogate)", field=field, code=code
        ) from exc
    return value


def require_id(value: Any, field: str, code: str) -> str:
    """An identifier: a non-blank string of printable characters, at most 255 long."""
    text = require_text(value, field, code, max_chars=MAX_ID_CHARS)
    if text != text.strip() or not text.isprintable():
        raise RequestError(
            "must not contain control characters or surrounding whitespace", field=field, code=code
        )
    return text


def require_addressable_id(value: Any, field: str, code: str) -> str:
    """An identifier that a URL path segment can carry, so the HTTP API and the dashboard
    reach what the command line and the Python API create: :func:`require_id`, and
    neither ``/`` inside nor ``.`` or ``..`` as a whole (percent-encoding cannot carry
    them through routers and proxies)."""
    text = require_id(value, field, code)
    if "/" in text or text in (".", ".."):
        raise RequestError(
            "must not contain '/' or be '.' or '..': the HTTP API could not address it",
            field=field,
            code=code,
        )
    return text


def require_int(value: Any, field: str, code: str) -> int:
    """An integer; booleans and floats (even 2.0) are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"must be an integer, not {value!r}", field=field, code=code)
    return value
