"""A task queue inside the calling process, run on demand by :meth:`join`.

For tests and for embedding: tasks run through the same procedures and failure policy
as on Celery, without a broker, batched as a broker's would be. Retries run again at
once instead of after a delay.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from essaygrader.api.queue import QUEUE_FOR_TASK, TaskQueue
from essaygrader.domain.workflow import TaskType
from essaygrader.queues.services import WorkerServices
from essaygrader.worker.execution import Outcome, run_task


class InProcessTaskQueue(TaskQueue):
    """Keeps tasks in memory until :meth:`join` runs them.

    Its grading batch size is the bound process's ``grading_batch_size`` setting.

    Attributes:
        accepting: Set to False to act like a broker that is down.
        pending: Each task not run yet: ``(task type, workflow uuids, retries done)``.
        outcomes: Every run's ``(task type, workflow uuids, outcome)``, in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.pending: deque[tuple[TaskType, tuple[str, ...], int]] = deque()
        self.accepting = True
        self.outcomes: list[tuple[TaskType, tuple[str, ...], Outcome]] = []
        self._services: WorkerServices | None = None

    def bind(self, services: WorkerServices) -> None:
        self._services = services
        self.grading_batch_size = services.settings.grading_batch_size

    def send(self, task_type: TaskType, batches: Sequence[Sequence[str]]) -> int:
        if not self.accepting:
            return 0
        self.pending.extend((task_type, tuple(batch), 0) for batch in batches)
        return len(batches)

    def join(self) -> list[tuple[TaskType, tuple[str, ...], Outcome]]:
        """Run queued tasks, and the tasks they queue, until none is left."""
        assert self._services is not None, "bind the queue to its process services first"
        ran = []
        while self.pending:
            task_type, uuids, retries = self.pending.popleft()
            outcome = run_task(self._services.worker, task_type, uuids, retries)
            if outcome.kind == "retry":
                self.pending.append((task_type, uuids, retries + 1))
            ran.append((task_type, uuids, outcome))
        self.outcomes.extend(ran)
        return ran

    def queue_lengths(self) -> dict[str, int | None]:
        return {
            name: sum(1 for t, _, _ in self.pending if QUEUE_FOR_TASK[t] == name)
            for name in dict.fromkeys(QUEUE_FOR_TASK.values())
        }
