"""A task queue inside the calling process, run on demand by :meth:`join`.

For tests and for embedding: tasks run through the same procedures and failure policy
as on Celery, without a broker. Retries run again at once instead of after a delay.
"""

from __future__ import annotations

from collections import deque

from essaygrader.api.queue import QUEUE_FOR_TASK, TaskQueue
from essaygrader.domain.workflow import TaskType
from essaygrader.queues.services import WorkerServices
from essaygrader.worker.execution import Outcome, run_task


class InProcessTaskQueue(TaskQueue):
    """Keeps tasks in memory until :meth:`join` runs them.

    Attributes:
        accepting: Set to False to act like a broker that is down.
        outcomes: Every run's ``(task type, workflow uuid, outcome)``, in order.
    """

    def __init__(self) -> None:
        self.pending: deque[tuple[TaskType, str, int]] = deque()
        self.accepting = True
        self.outcomes: list[tuple[TaskType, str, Outcome]] = []
        self._services: WorkerServices | None = None

    def bind(self, services: WorkerServices) -> None:
        self._services = services

    def enqueue(self, task_type: TaskType, workflow_uuid: str) -> bool:
        if not self.accepting:
            return False
        self.pending.append((task_type, workflow_uuid, 0))
        return True

    def join(self) -> list[tuple[TaskType, str, Outcome]]:
        """Run queued tasks, and the tasks they queue, until none is left."""
        assert self._services is not None, "bind the queue to its process services first"
        ran = []
        while self.pending:
            task_type, uuid, retries = self.pending.popleft()
            outcome = run_task(self._services.worker, task_type, uuid, retries)
            if outcome.kind == "retry":
                self.pending.append((task_type, uuid, retries + 1))
            ran.append((task_type, uuid, outcome))
        self.outcomes.extend(ran)
        return ran

    def queue_lengths(self) -> dict[str, int | None]:
        return {
            name: sum(1 for t, _, _ in self.pending if QUEUE_FOR_TASK[t] == name)
            for name in QUEUE_FOR_TASK.values()
        }
