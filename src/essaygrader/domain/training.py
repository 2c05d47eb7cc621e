"""Training examples: an essay and the option a grader selected for each scored criterion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from essaygrader.domain.rubric import Rubric
from essaygrader.domain.submission import essay_text
from essaygrader.domain.validation import require_mapping, require_text
from essaygrader.errors import RequestError

MAX_EXAMPLES = 50_000


@dataclass(frozen=True)
class TrainingExample:
    """An example essay with the option name selected for every scored criterion."""

    text: str
    options_selected: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "options_selected": dict(self.options_selected)}


def parse_examples(raw: Any, rubric: Rubric, *, max_chars: int) -> list[TrainingExample]:
    """Validate examples in their JSON shape against a rubric.

    Each example is ``{"text": ..., "options_selected": {criterion: option name}}``; the
    text may also be given as ``{"parts": [...]}`` like a submission's answer. Values for
    feedback-only criteria are ignored.

    Raises:
        RequestError: ``training_invalid``; naming the example index and field, e.g.
            ``examples[3].options_selected.ideas``.
    """
    if not isinstance(raw, list) or not raw:
        raise RequestError(
            "must be a non-empty list of examples", field="examples", code="training_invalid"
        )
    if len(raw) > MAX_EXAMPLES:
        raise RequestError(
            f"has {len(raw):,} examples; the limit is {MAX_EXAMPLES:,}",
            field="examples",
            code="training_invalid",
        )
    scored = {c.name: c for c in rubric.scored_criteria}
    feedback_only = {c.name for c in rubric.criteria if not c.is_scored}
    examples = []
    for i, item in enumerate(raw):
        field = f"examples[{i}]"
        item = require_mapping(item, field, "training_invalid", {"text", "options_selected"})
        text = essay_text(
            item.get("text"), max_chars=max_chars, field=f"{field}.text", code="training_invalid"
        )
        selected = require_mapping(
            item.get("options_selected"), f"{field}.options_selected", "training_invalid"
        )
        options: dict[str, str] = {}
        for name, option_name in selected.items():
            option_field = f"{field}.options_selected.{name}"
            if name in feedback_only:
                continue
            criterion = scored.get(name)
            if criterion is None:
                raise RequestError(
                    f"unknown criterion {name!r}; the rubric's scored criteria are "
                    f"{', '.join(scored)}",
                    field=option_field,
                    code="training_invalid",
                )
            option_name = require_text(option_name, option_field, "training_invalid", max_chars=200)
            if criterion.option_named(option_name) is None:
                raise RequestError(
                    f"unknown option {option_name!r}; criterion {name!r} has options "
                    f"{', '.join(o.name for o in criterion.options)}",
                    field=option_field,
                    code="training_invalid",
                )
            options[name] = option_name
        missing = [name for name in scored if name not in options]
        if missing:
            raise RequestError(
                f"no option selected for criterion {missing[0]!r}",
                field=f"{field}.options_selected.{missing[0]}",
                code="training_invalid",
            )
        examples.append(TrainingExample(text=text, options_selected=options))
    return examples


def points_by_criterion(
    examples: Sequence[TrainingExample], rubric: Rubric
) -> dict[str, list[int]]:
    """For each scored criterion, the points every example earned, in example order."""
    return {
        c.name: [c.option_named(e.options_selected[c.name]).points for e in examples]  # type: ignore[union-attr]
        for c in rubric.scored_criteria
    }


def check_trainable(
    examples: Sequence[TrainingExample], rubric: Rubric, *, min_examples: int, warn_below: int
) -> list[str]:
    """Refuse example sets a classifier cannot learn from; return warnings for weak ones.

    Raises:
        RequestError: ``training_invalid``; too few examples, or a criterion whose examples all
            earned
            the same points, naming the criterion.
    """
    if len(examples) < min_examples:
        raise RequestError(
            f"{len(examples)} examples given; training needs at least {min_examples} "
            "(setting min_training_examples)",
            field="examples",
            code="training_invalid",
        )
    warnings = []
    for name, points in points_by_criterion(examples, rubric).items():
        counts = Counter(points)
        if len(counts) < 2:
            raise RequestError(
                f"criterion {name!r}: every example earned {points[0]} points; a classifier "
                "needs examples of at least 2 different point values",
                field=f"examples[*].options_selected.{name}",
                code="training_invalid",
            )
        if len(examples) < warn_below:
            warnings.append(
                f"criterion {name!r}: only {len(examples)} examples; grades are more "
                f"reliable with {warn_below} or more"
            )
    return warnings
