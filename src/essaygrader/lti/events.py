"""What a transaction did that course platforms want to hear about.

Grading, review and training record their work without knowing about LTI or webhooks.
:func:`watch` makes every transaction of a database note the assessments it writes or
changes and the trainings it ends; just before it commits, the transaction marks the LTI
passbacks of those submissions due and writes the webhook deliveries they call for, and
once it has committed their tasks go to the queue. A rollback drops all of it. Erasing a
student's submissions erases their passback records in the same transaction.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import Engine, delete, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from essaygrader.api.queue import TaskQueue, enqueue_after_commit
from essaygrader.db.models import (
    AssessmentRecord,
    LtiPassbackRecord,
    SubmissionRecord,
    TrainingWorkflowRecord,
)
from essaygrader.db.session import Database
from essaygrader.domain.workflow import TaskType
from essaygrader.lti.passback import mark_due
from essaygrader.lti.webhooks import record_events

_NOTED = "essaygrader_platform_events"

# Which queue each watched database's tasks go to (by its write engine).
_QUEUES: weakref.WeakKeyDictionary[Engine, Callable[[], TaskQueue]] = weakref.WeakKeyDictionary()


class Noted:
    """What one transaction did, so far."""

    def __init__(self) -> None:
        self.submissions: set[str] = set()
        self.inserted: set[str] = set()
        self.changed: set[str] = set()
        self.trainings: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self.submissions or self.inserted or self.changed or self.trainings)


def watch(database: Database, queue_of: Callable[[], TaskQueue]) -> None:
    """Send the passbacks and webhooks of ``database``'s transactions to ``queue_of()``."""
    _QUEUES[database.engine] = queue_of


def queue_for(session: Session) -> TaskQueue | None:
    """The queue watching the session's database, if any."""
    bind = session.get_bind()
    queue_of = _QUEUES.get(bind) if isinstance(bind, Engine) else None
    return queue_of() if queue_of is not None else None


def _noted(session: Session) -> Noted | None:
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind not in _QUEUES:
        return None
    noted: Noted = session.info.setdefault(_NOTED, Noted())
    return noted


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    noted = _noted(session)
    if noted is None:
        return
    for record in chain(session.new, session.dirty):
        if isinstance(record, AssessmentRecord):
            noted.submissions.add(record.submission_uuid)
            if record in session.new:
                noted.inserted.add(record.uuid)
            else:
                noted.changed.add(record.uuid)
        elif isinstance(record, TrainingWorkflowRecord):
            state = inspect(record)
            for column in ("completed_at", "failed_at"):
                if state.attrs[column].history.added and getattr(record, column) is not None:
                    noted.trainings.add(record.uuid)


@event.listens_for(Session, "do_orm_execute")
def _note_executed(state: ORMExecuteState) -> None:
    # Assessments are written in bulk with insert(AssessmentRecord), and a task's
    # failure ends trainings with update(...).values(failed_at=...).
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    noted = _noted(state.session)
    if noted is None:
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if state.is_delete and name == SubmissionRecord.__tablename__:
        # Erasing a student's submissions: their passbacks go with them, first.
        where = getattr(state.statement, "whereclause", None)
        if where is not None:
            erased = select(SubmissionRecord.uuid).where(where)
            state.session.execute(
                delete(LtiPassbackRecord).where(LtiPassbackRecord.submission_uuid.in_(erased))
            )
        return
    if state.is_insert and name == AssessmentRecord.__tablename__:
        params: Any = state.parameters
        rows: list[Any] = params if isinstance(params, list) else [params] if params else []
        for row in rows:
            if "submission_uuid" in row:
                noted.submissions.add(str(row["submission_uuid"]))
            if "uuid" in row:
                noted.inserted.add(str(row["uuid"]))
    elif state.is_update and name == TrainingWorkflowRecord.__tablename__:
        values = getattr(state.statement, "_values", None) or {}
        if any(getattr(key, "key", key) == "failed_at" for key in values):
            where = getattr(state.statement, "whereclause", None)
            query = select(TrainingWorkflowRecord.uuid)
            if where is not None:
                query = query.where(where)
            # Read before the update runs: the rows it is about to fail.
            noted.trainings.update(state.session.execute(query).scalars())


@event.listens_for(Session, "before_commit")
def _act(session: Session) -> None:
    if _noted(session) is None:
        return
    # before_commit runs before the last flush: flush now so its changes are noted.
    session.flush()
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    task_queue = queue_for(session)
    if noted.submissions:
        mark_due(session, sorted(noted.submissions), task_queue)
    deliveries = record_events(session, noted.inserted, noted.changed, noted.trainings)
    if deliveries and task_queue is not None:
        enqueue_after_commit(session, task_queue, TaskType.WEBHOOK, deliveries)
