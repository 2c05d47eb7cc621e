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


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"an object with keys {sorted(map(str, value))}"
    return type(value).__name__
