"""Items: a question in a course, its rubric, and the rule for changing that rubric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from essaygrader.domain.rubric import Rubric
from essaygrader.domain.validation import require_addressable_id, require_id
from essaygrader.errors import ConflictError


@dataclass(frozen=True)
class ItemKey:
    course_id: str
    item_id: str

    @classmethod
    def parse(cls, course_id: Any, item_id: Any) -> ItemKey:
        """Validate both ids.

        Raises:
            RequestError: ``item_invalid``; naming ``course_id`` or ``item_id``.
        """
        return cls(
            require_id(course_id, "course_id", "item_invalid"),
            require_id(item_id, "item_id", "item_invalid"),
        )

    @classmethod
    def new(cls, course_id: Any, item_id: Any) -> ItemKey:
        """Validate the ids of an item to create: they must be addressable over HTTP.

        Raises:
            RequestError: ``item_invalid``; naming ``course_id`` or ``item_id``.
        """
        return cls(
            require_addressable_id(course_id, "course_id", "item_invalid"),
            require_addressable_id(item_id, "item_id", "item_invalid"),
        )

    def __str__(self) -> str:
        return f"{self.course_id}/{self.item_id}"


def check_rubric_change(
    key: ItemKey, old: Rubric, new: Rubric, *, published: bool, has_classifiers: bool
) -> list[str]:
    """Apply the rule for changing a rubric after classifiers were trained.

    Only a change of structure matters (criterion and option names and points): rewording
    prompts and explanations leaves the trained classifiers valid.

    Returns:
        Warnings for the caller; a retraining warning when the change is accepted.

    Raises:
        ConflictError: ``rubric_change_refused``; the item is published and trained, and the
            structure changed.
    """
    if not has_classifiers or old.structure_hash == new.structure_hash:
        return []
    if published:
        raise ConflictError(
            f"item {key} is published and has trained classifiers, so its rubric's criteria, "
            "options and points cannot change; create a new item instead",
            field="rubric",
            code="rubric_change_refused",
        )
    return [
        f"item {key}: the rubric's criteria, options or points changed, so its classifiers "
        "no longer apply; train again before students submit"
    ]
