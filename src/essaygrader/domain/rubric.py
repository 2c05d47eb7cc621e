"""Rubrics: criteria, each with options worth points.

A criterion without options is feedback-only: it gets no classifier and no score.
Two hashes identify a rubric: the *content* hash covers everything, the *structure* hash
only what classifiers depend on (criterion and option names and points, in order), so a
reworded explanation does not invalidate trained classifiers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from essaygrader.domain.validation import require_int, require_mapping, require_text
from essaygrader.errors import RequestError

MAX_NAME_CHARS = 100
MAX_PROSE_CHARS = 10_000
MAX_CRITERIA = 50
# Enough for a 0-100 scale (a percentage), one option per point value.
MAX_OPTIONS = 101
# Points are stored as 32-bit integers, and summed over up to MAX_CRITERIA criteria.
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Option:
    name: str
    points: int
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "points": self.points, "explanation": self.explanation}


@dataclass(frozen=True)
class Criterion:
    name: str
    prompt: str
    options: tuple[Option, ...]

    @property
    def is_scored(self) -> bool:
        """False for a feedback-only criterion."""
        return bool(self.options)

    @property
    def valid_points(self) -> list[int]:
        return sorted(option.points for option in self.options)

    @property
    def points_possible(self) -> int:
        return max((option.points for option in self.options), default=0)

    def option_named(self, name: str) -> Option | None:
        return next((option for option in self.options if option.name == name), None)

    def option_for_points(self, points: int) -> Option:
        return next(option for option in self.options if option.points == points)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "prompt": self.prompt,
            "options": [option.to_dict() for option in self.options],
        }


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[Criterion, ...]

    @classmethod
    def from_dict(cls, data: Any, *, field: str = "rubric") -> Rubric:
        """Parse and validate a rubric in its JSON shape.

        Raises:
            RequestError: ``item_invalid``; naming the first invalid field, e.g.
                ``rubric.criteria[1].options[0].points``.
        """
        data = require_mapping(data, field, "item_invalid", {"criteria"})
        raw_criteria = data.get("criteria")
        if not isinstance(raw_criteria, list) or not raw_criteria:
            raise RequestError(
                "must be a non-empty list", field=f"{field}.criteria", code="item_invalid"
            )
        if len(raw_criteria) > MAX_CRITERIA:
            raise RequestError(
                f"has {len(raw_criteria)} criteria; the limit is {MAX_CRITERIA}",
                field=f"{field}.criteria",
                code="item_invalid",
            )
        criteria = tuple(
            _criterion(raw, f"{field}.criteria[{i}]") for i, raw in enumerate(raw_criteria)
        )
        seen: set[str] = set()
        for i, criterion in enumerate(criteria):
            if criterion.name in seen:
                raise RequestError(
                    f"duplicate criterion name {criterion.name!r}",
                    field=f"{field}.criteria[{i}].name",
                    code="item_invalid",
                )
            seen.add(criterion.name)
        if not any(c.is_scored for c in criteria):
            raise RequestError(
                "at least one criterion needs options to be graded; all are feedback-only",
                field=f"{field}.criteria",
                code="item_invalid",
            )
        return cls(criteria)

    def to_dict(self) -> dict[str, Any]:
        return {"criteria": [criterion.to_dict() for criterion in self.criteria]}

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the whole rubric."""
        return _hash(self.to_dict())

    @cached_property
    def structure_hash(self) -> str:
        """sha256 of criterion and option names and points, in order."""
        return _hash([[c.name, [[o.name, o.points] for o in c.options]] for c in self.criteria])

    @property
    def scored_criteria(self) -> list[Criterion]:
        return [c for c in self.criteria if c.is_scored]

    @property
    def points_possible(self) -> int:
        return sum(c.points_possible for c in self.criteria)

    def criterion(self, name: str) -> Criterion | None:
        return next((c for c in self.criteria if c.name == name), None)


def _criterion(raw: Any, field: str) -> Criterion:
    raw = require_mapping(raw, field, "item_invalid", {"name", "prompt", "options"})
    name = require_text(raw.get("name"), f"{field}.name", "item_invalid", max_chars=MAX_NAME_CHARS)
    prompt = require_text(
        raw.get("prompt", ""),
        f"{field}.prompt",
        "item_invalid",
        max_chars=MAX_PROSE_CHARS,
        allow_empty=True,
    )
    raw_options = raw.get("options", [])
    if not isinstance(raw_options, list):
        raise RequestError(
            "must be a list (empty for a feedback-only criterion)",
            field=f"{field}.options",
            code="item_invalid",
        )
    if len(raw_options) > MAX_OPTIONS:
        raise RequestError(
            f"has {len(raw_options)} options; the limit is {MAX_OPTIONS}",
            field=f"{field}.options",
            code="item_invalid",
        )
    options = tuple(_option(o, f"{field}.options[{i}]") for i, o in enumerate(raw_options))
    names: set[str] = set()
    points: set[int] = set()
    for i, option in enumerate(options):
        if option.name in names:
            raise RequestError(
                f"duplicate option name {option.name!r} in criterion {name!r}",
                field=f"{field}.options[{i}].name",
                code="item_invalid",
            )
        if option.points in points:
            raise RequestError(
                f"duplicate points {option.points} in criterion {name!r}; "
                "option points must be unique within a criterion",
                field=f"{field}.options[{i}].points",
                code="item_invalid",
            )
        names.add(option.name)
        points.add(option.points)
    if len(options) == 1:
        raise RequestError(
            f"criterion {name!r} has one option; give it two or more, or none for feedback only",
            field=f"{field}.options",
            code="item_invalid",
        )
    return Criterion(name=name, prompt=prompt, options=options)


def _option(raw: Any, field: str) -> Option:
    raw = require_mapping(raw, field, "item_invalid", {"name", "points", "explanation"})
    name = require_text(raw.get("name"), f"{field}.name", "item_invalid", max_chars=MAX_NAME_CHARS)
    points = require_int(raw.get("points"), f"{field}.points", "item_invalid")
    if not 0 <= points <= MAX_POINTS:
        raise RequestError(
            f"must be from 0 to {MAX_POINTS:,}, not {points}",
            field=f"{field}.points",
            code="item_invalid",
        )
    explanation = require_text(
        raw.get("explanation", ""),
        f"{field}.explanation",
        "item_invalid",
        max_chars=MAX_PROSE_CHARS,
        allow_empty=True,
    )
    return Option(name=name, points=points, explanation=explanation)


def _hash(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()
