"""The seam between the API and whatever runs tasks.

The API only ever hands a queue a task type and workflow ids, once the transaction that
created or changed the workflows has committed (:func:`enqueue_after_commit`). A
training task names one workflow; a grading task names up to ``grading_batch_size``
workflows of one item, so a burst of essays costs the engine one message, one
classifier lookup and two transactions per batch instead of per essay.

A queue with a relay (every queue a process's runtime builds) goes through the task
outbox: the transaction writes its tasks to the ``task_outbox`` table along with the
workflows, and after the commit the relay sends them, in the background for a real
broker, so a request never waits on one (``api/outbox.py``). A queue that cannot take a
task (a broker that is down) logs and reports it: the tasks stay in the outbox and are
tried again, and the sweeper is the last net.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from essaygrader.config import DEFAULT_GRADING_BATCH_SIZE
from essaygrader.db.models import OutboxTaskRecord, utcnow
from essaygrader.db.session import after_commit
from essaygrader.domain.workflow import TaskType

# Passbacks and webhooks are short HTTP calls: they share the grading queue, so every
# worker that grades also sends them, with no new queue to configure.
QUEUE_FOR_TASK = {
    TaskType.TRAIN: "training",
    TaskType.GRADE: "grading",
    TaskType.PASSBACK: "grading",
    TaskType.WEBHOOK: "grading",
}
# How long the process that wrote outbox rows has them to itself: other relays take them
# only after this, when it died before sending them.
OUTBOX_CLAIM_SECONDS = 30.0


class TaskRelay(Protocol):
    """Sends the tasks of the outbox (``api/outbox.py``)."""

    def hand_off(self, outbox_ids: Sequence[int]) -> int | None:
        """Send these committed outbox rows: at once (returns how many workflows were
        handed over) or soon, in the background (returns None)."""

    def relay_due(self) -> int:
        """Send outbox rows nobody is sending; returns how many workflows were sent."""


class TaskQueue(ABC):
    """Takes training and grading tasks, each naming its workflows by id.

    Args:
        grading_batch_size: The most grading workflows one task names.
    """

    #: Whether the relay sends this queue's tasks from a background thread, so that no
    #: request waits on the broker; queues that run tasks in-process send at once.
    sends_in_background = False

    #: Whether the broker delivers a task again by itself when the worker that took it
    #: dies (Redis after its visibility timeout, RabbitMQ when the connection drops).
    #: Where it does not, the sweeper sends the work of a worker whose heartbeat has
    #: stopped again without waiting for the sweep age.
    redelivers_lost_tasks = False

    def __init__(self, *, grading_batch_size: int = DEFAULT_GRADING_BATCH_SIZE) -> None:
        self.grading_batch_size = grading_batch_size
        self.relay: TaskRelay | None = None

    @abstractmethod
    def send(self, task_type: TaskType, batches: Sequence[Sequence[str]]) -> int:
        """Send one task per batch of workflow ids, in order.

        Returns:
            How many batches were handed over; on a failure (logged), the ones after it
            are not sent.
        """

    def batch_size(self, task_type: TaskType) -> int:
        """The most workflows one task of this type names (training: one)."""
        return max(1, self.grading_batch_size) if task_type is not TaskType.TRAIN else 1

    def enqueue(self, task_type: TaskType, workflow_uuid: str) -> bool:
        """Schedule one workflow's task; False if it could not be handed over (logged)."""
        return self.enqueue_many(task_type, [workflow_uuid]) == 1

    def enqueue_many(self, task_type: TaskType, workflow_uuids: Iterable[str]) -> int:
        """Schedule several workflows' tasks, in batches; returns how many workflows
        were handed over."""
        batches = self.batches(task_type, workflow_uuids)
        if not batches:
            return 0
        sent = self.send(task_type, batches)
        return sum(len(batch) for batch in batches[:sent])

    def batches(self, task_type: TaskType, workflow_uuids: Iterable[str]) -> list[list[str]]:
        """The workflows split into tasks, in order."""
        uuids = list(workflow_uuids)
        size = self.batch_size(task_type)
        return [uuids[start : start + size] for start in range(0, len(uuids), size)]

    def tidy(self) -> int:
        """Drop the broker's records of messages already delivered; returns how many."""
        return 0

    @abstractmethod
    def queue_lengths(self) -> dict[str, int | None]:
        """Messages waiting per queue name; None where the broker cannot tell."""

    def describe(self) -> str:
        return type(self).__name__


def enqueue_after_commit(
    session: Session,
    task_queue: TaskQueue,
    task_type: TaskType,
    workflow_uuids: Iterable[str],
    *,
    sent: Callable[[int], object] | None = None,
) -> None:
    """Schedule the workflows' tasks once ``session``'s transaction commits; never if it
    rolls back.

    With a relay, the tasks are written to the outbox in this transaction, and handed to
    the relay after the commit; without one, they are sent after the commit.

    Args:
        sent: Called after the commit with how many workflows were handed over (or, when
            the relay sends in the background, recorded for sending).
    """
    uuids = list(workflow_uuids)
    if not uuids:
        return
    relay = task_queue.relay
    if relay is None:

        def send() -> None:
            handed_over = task_queue.enqueue_many(task_type, uuids)
            if sent is not None:
                sent(handed_over)

        after_commit(session, send)
        return
    due = utcnow() + timedelta(seconds=OUTBOX_CLAIM_SECONDS)
    rows = [
        {"task_type": task_type.value, "workflow_uuids": batch, "due_at": due, "attempts": 0}
        for batch in task_queue.batches(task_type, uuids)
    ]
    ids = sorted(
        session.scalars(insert(OutboxTaskRecord).returning(OutboxTaskRecord.id), rows).all()
    )

    def hand_off() -> None:
        handed_over = relay.hand_off(ids)
        if sent is not None:
            sent(len(uuids) if handed_over is None else handed_over)

    after_commit(session, hand_off)
