"""Rescheduling unfinished work, and the backlog."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essaygrader.api.base import (
    APIBase,
)
from essaygrader.api.queue import enqueue_after_commit
from essaygrader.api.records import (
    classifier_set_json,
    current_classifier_set,
    find_item,
    internal_errors,
)
from essaygrader.api.status import backlog_status
from essaygrader.contract import Rescheduled, StatusOut
from essaygrader.db.models import (
    GradingWorkflowRecord,
    ItemRecord,
    TrainingWorkflowRecord,
    utcnow,
)
from essaygrader.db.workflows import (
    WorkflowModel,
    rescheduled_values,
    unfinished,
    without_classifier_set,
)
from essaygrader.domain.item import ItemKey
from essaygrader.domain.quality import would_fail_again
from essaygrader.domain.validation import require_id
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError

log = logging.getLogger(__name__)


class ReschedulingAPI(APIBase):
    def reschedule_unfinished_tasks(
        self, course_id: str, item_id: str | None = None, task_type: str = "all"
    ) -> Rescheduled:
        """Send every unfinished workflow of an item to the queue again, training first.

        Failed workflows are given a fresh set of attempts. Grading workflows still
        without classifiers get the item's current set when there is one, and otherwise
        keep waiting.

        Args:
            item_id: The item; None reschedules every item of the course, in one
                transaction.
            task_type: ``train``, ``grade`` or ``all``.

        Returns:
            ``{"training_scheduled": n, "grading_scheduled": n, "grading_waiting": n,
            "training_not_retried": n}``: the last counts trainings that failed the
            item's quality gate and would fail it again on the same examples (lower
            ``min_qwk`` or train with more examples instead).

        Raises:
            RequestError: ``rescheduling_invalid``; unknown task type.
            NotFoundError: ``item_not_found``; no such item.
        """
        if task_type not in ("train", "grade", "all"):
            raise RequestError(
                f"unknown task type {task_type!r}; use train, grade or all",
                field="task_type",
                code="rescheduling_invalid",
            )
        if item_id is None:
            course = require_id(course_id, "course_id", "rescheduling_invalid")
            where = f"course {course}"
        else:
            key = ItemKey.parse(course_id, item_id)
            where = f"item {key}"
        training: list[str] = []
        grading: list[str] = []
        waiting = not_retried = 0
        with (
            internal_errors("rescheduling_internal_error", f"rescheduling {where}"),
            self.database.transaction() as session,
        ):
            if item_id is None:
                items = list(
                    session.scalars(
                        select(ItemRecord)
                        .where(ItemRecord.course_id == course)
                        .order_by(ItemRecord.item_id)
                        .with_for_update(read=True, of=ItemRecord)
                    )
                )
            else:
                items = [find_item(session, key, lock="share")]
            now = utcnow()
            grading_by_item = []
            for item in items:
                found = _reschedule_item(session, item, task_type, now)
                training += found[0]
                grading += found[1]
                waiting += found[2]
                not_retried += found[3]
                grading_by_item.append(found[1])
            # Sent once this commits: training first, then grading in tasks that each
            # name workflows of one item.
            enqueue_after_commit(session, self.task_queue, TaskType.TRAIN, training)
            for uuids in grading_by_item:
                enqueue_after_commit(session, self.task_queue, TaskType.GRADE, uuids)
        log.info(
            "rescheduled %s: %d training, %d grading, %d still waiting",
            where,
            len(training),
            len(grading),
            waiting,
        )
        return {
            "training_scheduled": len(training),
            "grading_scheduled": len(grading),
            "grading_waiting": waiting,
            "training_not_retried": not_retried,
        }

    def status(
        self,
        course_id: str | None = None,
        item_id: str | None = None,
        *,
        course_ids: Sequence[str] | None = None,
    ) -> StatusOut:
        """Workflow counts by type and status, queue lengths, the oldest unfinished
        workflow of each type and the live workers.

        Counts cover one item when both ids are given (with its current classifier set),
        one course when only ``course_id`` is, and only the courses in ``course_ids``
        when that is given. Queue lengths and workers are those of the whole service.

        Raises:
            NotFoundError: ``item_not_found``; the item does not exist.
            RequestError: ``grading_invalid``; an item without its course, or an invalid id.
        """
        key = None
        courses: list[str] | None = None
        if item_id is not None:
            key = ItemKey.parse(course_id, item_id)
        elif course_id is not None:
            courses = [require_id(course_id, "course_id", "grading_invalid")]
        if course_ids is not None:
            if isinstance(course_ids, str):
                raise RequestError(
                    "must be a list of course ids", field="course_ids", code="grading_invalid"
                )
            allowed = [
                require_id(c, f"course_ids[{i}]", "grading_invalid")
                for i, c in enumerate(course_ids)
            ]
            courses = allowed if courses is None else [c for c in courses if c in allowed]
        with (
            internal_errors("grading_internal_error", "reading the backlog"),
            self.database.transaction(read_only=True) as session,
        ):
            result = backlog_status(
                session,
                key,
                course_ids=courses,
                heartbeat_seconds=self.settings.worker_heartbeat_seconds,
            )
            if key is not None:
                item = find_item(session, key)
                current = current_classifier_set(
                    session, key.course_id, key.item_id, item.rubric.structure_hash
                )
                result["classifier_set"] = classifier_set_json(current) if current else None
        result["queues"] = self.task_queue.queue_lengths()
        return result


def _reschedule_item(
    session: Session, item: ItemRecord, task_type: str, now: datetime
) -> tuple[list[str], list[str], int, int]:
    """Mark one item's unfinished workflows fresh.

    A training that failed the item's quality gate is left failed when the gate is no
    lower now: the same examples would fail it again.

    Returns:
        (training uuids, grading uuids, grading still waiting, training not retried).
    """
    key = ItemKey(item.course_id, item.item_id)
    fresh = rescheduled_values(now)
    training: list[str] = []
    grading: list[str] = []
    waiting = 0
    not_retried = 0
    if task_type in ("train", "all"):
        candidates = session.execute(
            select(TrainingWorkflowRecord.uuid, TrainingWorkflowRecord.last_error)
            .where(
                TrainingWorkflowRecord.course_id == key.course_id,
                TrainingWorkflowRecord.item_id == key.item_id,
                unfinished(TrainingWorkflowRecord),
            )
            .order_by(TrainingWorkflowRecord.created_at)
        ).all()
        for uuid, last_error in candidates:
            if would_fail_again(last_error, item.min_qwk):
                not_retried += 1
            else:
                training.append(uuid)
        _touch(session, TrainingWorkflowRecord, training, fresh)
    if task_type in ("grade", "all"):
        current = current_classifier_set(
            session, key.course_id, key.item_id, item.rubric.structure_hash
        )
        if current is not None:
            session.execute(
                update(GradingWorkflowRecord)
                .where(
                    GradingWorkflowRecord.course_id == key.course_id,
                    GradingWorkflowRecord.item_id == key.item_id,
                    unfinished(GradingWorkflowRecord),
                    without_classifier_set(GradingWorkflowRecord),
                )
                .values(classifier_set_uuid=current.uuid, rubric_id=current.rubric_id)
            )
        grading = _incomplete_uuids(session, GradingWorkflowRecord, key, with_classifiers=True)
        _touch(session, GradingWorkflowRecord, grading, fresh)
        waiting = len(_incomplete_uuids(session, GradingWorkflowRecord, key)) - len(grading)
    return training, grading, waiting, not_retried


def _incomplete_uuids(
    session: Session, model: WorkflowModel, key: ItemKey, with_classifiers: bool = False
) -> list[str]:
    query = select(model.uuid).where(
        model.course_id == key.course_id, model.item_id == key.item_id, unfinished(model)
    )
    if with_classifiers:
        query = query.where(~without_classifier_set(model))
    return list(session.scalars(query.order_by(model.created_at)))


def _touch(session: Session, model: Any, uuids: list[str], values: dict[str, Any]) -> None:
    for start in range(0, len(uuids), 500):
        session.execute(
            update(model).where(model.uuid.in_(uuids[start : start + 500])).values(**values)
        )
