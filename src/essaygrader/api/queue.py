"""The seam between the API and whatever runs tasks.

The API only ever hands a queue a task type and a workflow id, after the transaction
that created or changed the workflow has committed. A queue that cannot take the task
(a broker that is down) logs and returns False: the workflow is in the database, and the
sweeper enqueues it again later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from essaygrader.domain.workflow import TaskType

QUEUE_FOR_TASK = {TaskType.TRAIN: "training", TaskType.GRADE: "grading"}


class TaskQueue(ABC):
    """Takes training and grading tasks, each named by a workflow id."""

    @abstractmethod
    def enqueue(self, task_type: TaskType, workflow_uuid: str) -> bool:
        """Schedule one task; False if it could not be handed over (it is logged)."""

    def enqueue_many(self, task_type: TaskType, workflow_uuids: Iterable[str]) -> int:
        """Schedule several tasks; returns how many were handed over."""
        return sum(self.enqueue(task_type, uuid) for uuid in workflow_uuids)

    def tidy(self) -> int:
        """Drop the broker's records of messages already delivered; returns how many."""
        return 0

    @abstractmethod
    def queue_lengths(self) -> dict[str, int | None]:
        """Messages waiting per queue name; None where the broker cannot tell."""

    def describe(self) -> str:
        return type(self).__name__
