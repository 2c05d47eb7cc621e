"""What every part of the client-side API shares: its collaborators and paging."""

from __future__ import annotations

from typing import Any

from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.api.queue import TaskQueue
from essaygrader.config import Settings
from essaygrader.db.session import Database
from essaygrader.errors import RequestError

MAX_BATCH_SUBMISSIONS = 10_000
MAX_PAGE = 1000
# Databases take offsets as 32- or 64-bit integers; no list is anywhere near this long.
MAX_OFFSET = 2**31 - 1


class APIBase:
    """The collaborators of the client-side API.

    Args:
        settings: The process settings.
        database: Where records live.
        algorithms: The registered algorithms.
        task_queue: Where training and grading tasks are sent.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        algorithms: AlgorithmRegistry,
        task_queue: TaskQueue,
    ) -> None:
        self.settings = settings
        self.database = database
        self.algorithms = algorithms
        self.task_queue = task_queue


def page(offset: Any, limit: Any, code: str) -> tuple[int, int]:
    """Validate paging arguments: ``offset`` from 0, ``limit`` from 1 to ``MAX_PAGE``."""
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise RequestError(f"must be an integer from 0 to {MAX_OFFSET}", field="offset", code=code)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise RequestError(f"must be an integer from 1 to {MAX_PAGE}", field="limit", code=code)
    return offset, limit
