"""Submissions: what a student wrote, turned into the essay text that gets graded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from essaygrader.domain.validation import require_text
from essaygrader.errors import RequestError


def essay_text(
    answer: Any,
    *,
    max_chars: int,
    field: str = "answer",
    code: str = "grading_invalid",
) -> str:
    """The text of an answer: a string, ``{"text": ...}`` or ``{"parts": [...]}``.

    Parts are strings or ``{"text": ...}`` objects, joined by newlines.

    Raises:
        RequestError: ``error`` naming ``field`` when the answer has another shape, is
            empty or is longer than ``max_chars``.
    """
    if isinstance(answer, str):
        text = answer
    elif isinstance(answer, Mapping) and set(answer) == {"text"}:
        text = require_text(
            answer["text"], f"{field}.text", code, max_chars=max_chars, allow_empty=True
        )
    elif isinstance(answer, Mapping) and set(answer) == {"parts"}:
        parts = answer["parts"]
        if not isinstance(parts, list):
            raise RequestError(
                'must be a list of strings or {"text": ...} objects',
                field=f"{field}.parts",
                code=code,
            )
        texts = []
        for i, part in enumerate(parts):
            if isinstance(part, Mapping) and "text" in part:
                part = part["text"]
            texts.append(
                require_text(
                    part, f"{field}.parts[{i}]", code, max_chars=max_chars, allow_empty=True
                )
            )
        text = "\n".join(texts)
    else:
        raise RequestError(
            f'must be a string, {{"text": "..."}} or {{"parts": [...]}}, not {_describe(answer)}',
            field=field,
            code=code,
        )
    return require_text(text, field, code, max_chars=max_chars)


def essay_field(
    raw: Mapping[str, Any], prefix: str, code: str = "grading_invalid"
) -> tuple[str, Any]:
    """Which field of a submission holds the essay, and its value.

    The essay is ``text`` everywhere (files, HTTP, Python); ``answer`` is its older name
    over HTTP and in the Python API, still accepted. Exactly one must be given.

    Returns:
        ``(field path, value)``, the path with ``prefix`` (e.g. ``submissions[2].text``).

    Raises:
        RequestError: ``code``, naming the field, when both or neither are given.
    """
    given = [name for name in ("text", "answer") if raw.get(name) is not None]
    if not given:
        raise RequestError(
            "is required: the essay's text (older clients send it as 'answer')",
            field=f"{prefix}text",
            code=code,
        )
    if len(given) == 2:
        raise RequestError(
            "give the essay once, as 'text' ('answer' is its older name), not both",
            field=f"{prefix}answer",
            code=code,
        )
    return f"{prefix}{given[0]}", raw[given[0]]


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"an object with keys {sorted(map(str, value))}"
    return type(value).__name__
