"""What a queue needs of the process it runs in, so that queues never import the runtime."""

from __future__ import annotations

from typing import Protocol

from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.api.housekeeping import Housekeeping
from essaygrader.api.queue import TaskQueue
from essaygrader.config import Settings
from essaygrader.worker.api import AIWorkerAPI


class WorkerServices(Protocol):
    """The settings, the worker API (made on first use, after a worker forks) and the task
    queue of a process; :class:`essaygrader.runtime.Runtime` is one."""

    @property
    def settings(self) -> Settings: ...

    @property
    def worker(self) -> AIWorkerAPI: ...

    @property
    def algorithms(self) -> AlgorithmRegistry: ...

    @property
    def task_queue(self) -> TaskQueue: ...

    @property
    def housekeeping(self) -> Housekeeping: ...

    def after_fork(self) -> None:
        """In a forked pool process: drop connections inherited from the parent."""
