"""Items: a question of a course and its rubric."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from essaygrader.api.base import APIBase, page
from essaygrader.api.records import (
    find_item,
    internal_errors,
    item_json,
    item_json_counted,
    rubric_of,
    staff_counts,
    stored_rubric,
)
from essaygrader.contract import UNSET, CourseOut, CoursesPage, ItemOut, ItemsPage
from essaygrader.db.models import (
    ClassifierSetRecord,
    ItemRecord,
    utcnow,
)
from essaygrader.domain.assessment import DEFAULT_REVIEW_CONFIDENCE_BELOW, parse_review_policy
from essaygrader.domain.item import ItemKey, check_rubric_change
from essaygrader.domain.rubric import Rubric
from essaygrader.domain.validation import require_id, require_text
from essaygrader.errors import ConflictError, RequestError

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 100_000


class ItemsAPI(APIBase):
    def create_item(
        self,
        course_id: str,
        item_id: str,
        rubric: dict[str, Any],
        *,
        prompt: str = "",
        algorithm_id: str | None = None,
        published: bool = False,
        min_qwk: float | None = None,
        review_policy: str = "none",
        review_confidence_below: float = DEFAULT_REVIEW_CONFIDENCE_BELOW,
    ) -> ItemOut:
        """Create an item: a question of a course, with its rubric.

        Args:
            algorithm_id: The algorithm to train with; None means the default setting.
            min_qwk: Training fails its quality gate below this cross-validated QWK.
            review_policy: Which AI assessments are held for staff review before
                release: ``none`` (released at once), ``flagged`` (those with an advisory
                flag or a criterion scored at a confidence below
                ``review_confidence_below``), ``all``.
            review_confidence_below: The confidence (0 to 1) under which ``flagged``
                holds an assessment.

        Raises:
            RequestError: ``item_invalid``; an invalid field, named in the error.
            ConflictError: ``item_exists``; the item already exists; update it instead.
            RequestError: ``unknown_algorithm``; ``algorithm_id`` is not registered.
        """
        key = ItemKey.new(course_id, item_id)
        parsed = Rubric.from_dict(rubric)
        values = self._item_fields(
            prompt=prompt,
            algorithm_id=algorithm_id,
            published=published,
            min_qwk=min_qwk,
            review_policy=review_policy,
            review_confidence_below=review_confidence_below,
        )
        with (
            internal_errors("item_internal_error", f"creating item {key}"),
            self.database.transaction() as session,
        ):
            exists = session.scalar(
                select(ItemRecord.id).where(
                    ItemRecord.course_id == key.course_id, ItemRecord.item_id == key.item_id
                )
            )
            if exists is not None:
                raise ConflictError(
                    f"item {key} already exists; update it instead",
                    field="item_id",
                    code="item_exists",
                )
            item = ItemRecord(
                course_id=key.course_id,
                item_id=key.item_id,
                rubric=stored_rubric(session, parsed),
                **values,
            )
            session.add(item)
            session.flush()
            return item_json(item)

    def update_item(
        self,
        course_id: str,
        item_id: str,
        *,
        rubric: dict[str, Any] = UNSET,
        prompt: str = UNSET,
        algorithm_id: str | None = UNSET,
        published: bool = UNSET,
        min_qwk: float | None = UNSET,
        review_policy: str = UNSET,
        review_confidence_below: float = UNSET,
    ) -> ItemOut:
        """Change an item; arguments left out stay as they are.

        Changing the criteria, options or points of a rubric that has trained
        classifiers is refused when the item is published, and accepted with a warning
        (retrain) when it is not.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
            RequestError: ``item_invalid``; an invalid field, named in the error.
            ConflictError: ``rubric_change_refused``; the item is published and trained.
        """
        key = ItemKey.parse(course_id, item_id)
        parsed = None if rubric is UNSET else Rubric.from_dict(rubric)
        given = {
            name: value
            for name, value in (
                ("prompt", prompt),
                ("algorithm_id", algorithm_id),
                ("published", published),
                ("min_qwk", min_qwk),
                ("review_policy", review_policy),
                ("review_confidence_below", review_confidence_below),
            )
            if value is not UNSET
        }
        values = self._item_fields(**given)
        with (
            internal_errors("item_internal_error", f"updating item {key}"),
            self.database.transaction() as session,
        ):
            item = find_item(session, key, lock="update")
            warnings: list[str] = []
            if parsed is not None and parsed.content_hash != item.rubric.content_hash:
                trained = session.scalar(
                    select(func.count())
                    .select_from(ClassifierSetRecord)
                    .where(
                        ClassifierSetRecord.course_id == key.course_id,
                        ClassifierSetRecord.item_id == key.item_id,
                    )
                )
                warnings = check_rubric_change(
                    key,
                    rubric_of(item.rubric),
                    parsed,
                    published=values.get("published", item.published),
                    has_classifiers=bool(trained),
                )
                item.rubric = stored_rubric(session, parsed)
            for name, value in values.items():
                setattr(item, name, value)
            item.updated_at = utcnow()
            session.flush()
            for warning in warnings:
                log.warning("%s", warning)
            return item_json_counted(session, item, warnings)

    def get_item(self, course_id: str, item_id: str) -> ItemOut:
        """An item and its rubric.

        Raises:
            NotFoundError: ``item_not_found``; no such item.
        """
        key = ItemKey.parse(course_id, item_id)
        with (
            internal_errors("item_internal_error", f"reading item {key}"),
            self.database.transaction(read_only=True) as session,
        ):
            return item_json_counted(session, find_item(session, key))

    def list_items(
        self,
        course_id: str | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        course_ids: Sequence[str] | None = None,
    ) -> ItemsPage:
        """Items ordered by course and id: ``{"items": [...], "total": n, ...}``.

        Args:
            course_id: Only this course's items.
            course_ids: Only items of these courses (combined with ``course_id``).
        """
        offset, limit = page(offset, limit, "item_invalid")
        query = select(ItemRecord)
        if course_id is not None:
            query = query.where(
                ItemRecord.course_id == require_id(course_id, "course_id", "item_invalid")
            )
        if course_ids is not None:
            query = query.where(ItemRecord.course_id.in_(_course_ids(course_ids)))
        with (
            internal_errors("item_internal_error", "listing items"),
            self.database.transaction(read_only=True) as session,
        ):
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            items = session.scalars(
                query.order_by(ItemRecord.course_id, ItemRecord.item_id).offset(offset).limit(limit)
            ).all()
            counts = staff_counts(session, items)
            return {
                "items": [item_json(i, staff=counts.get((i.course_id, i.item_id))) for i in items],
                "total": total,
                "offset": offset,
                "limit": limit,
            }

    def list_courses(
        self, *, offset: int = 0, limit: int = 100, course_ids: Sequence[str] | None = None
    ) -> CoursesPage:
        """Courses and how many items each has, ordered by id.

        Args:
            course_ids: Exactly these courses, including those without items yet;
                None means every course that has an item.

        Returns:
            ``{"courses": [{"course_id": ..., "items": n}], "total": n, ...}``.
        """
        offset, limit = page(offset, limit, "item_invalid")
        with (
            internal_errors("item_internal_error", "listing courses"),
            self.database.transaction(read_only=True) as session,
        ):
            counts = select(ItemRecord.course_id, func.count().label("items")).group_by(
                ItemRecord.course_id
            )
            if course_ids is None:
                total = session.scalar(select(func.count()).select_from(counts.subquery())) or 0
                rows = session.execute(
                    counts.order_by(ItemRecord.course_id).offset(offset).limit(limit)
                ).all()
                courses: list[CourseOut] = [{"course_id": c, "items": n} for c, n in rows]
            else:
                wanted = sorted(set(_course_ids(course_ids)))
                total = len(wanted)
                shown = wanted[offset : offset + limit]
                rows = session.execute(counts.where(ItemRecord.course_id.in_(shown))).all()
                found: dict[str, int] = dict(rows)
                courses = [{"course_id": c, "items": found.get(c, 0)} for c in shown]
            return {"courses": courses, "total": total, "offset": offset, "limit": limit}

    def _item_fields(self, **values: Any) -> dict[str, Any]:
        """Validate the plain fields of an item."""
        if "prompt" in values:
            if values["prompt"] is None:
                raise RequestError(
                    'must be text: send "" for no prompt, or leave it out to keep the current one',
                    field="prompt",
                    code="item_invalid",
                )
            require_text(
                values["prompt"],
                "prompt",
                "item_invalid",
                max_chars=MAX_PROMPT_CHARS,
                allow_empty=True,
            )
        if values.get("algorithm_id") is not None:
            self.algorithms.check(values["algorithm_id"])
        if "published" in values and not isinstance(values["published"], bool):
            raise RequestError("must be true or false", field="published", code="item_invalid")
        min_qwk = values.get("min_qwk")
        if min_qwk is not None and (
            isinstance(min_qwk, bool)
            or not isinstance(min_qwk, int | float)
            or not -1.0 <= min_qwk <= 1.0
        ):
            raise RequestError(
                "must be a number between -1 and 1, or null", field="min_qwk", code="item_invalid"
            )
        if "review_policy" in values:
            values["review_policy"] = parse_review_policy(values["review_policy"]).value
        if "review_confidence_below" in values:
            below = values["review_confidence_below"]
            if isinstance(below, bool) or not isinstance(below, int | float) or not 0 <= below <= 1:
                raise RequestError(
                    "must be a number from 0 to 1",
                    field="review_confidence_below",
                    code="item_invalid",
                )
            values["review_confidence_below"] = float(below)
        return values


def _course_ids(course_ids: Sequence[str]) -> list[str]:
    if isinstance(course_ids, str):
        raise RequestError("must be a list of course ids", field="course_ids", code="item_invalid")
    return [require_id(c, f"course_ids[{i}]", "item_invalid") for i, c in enumerate(course_ids)]
