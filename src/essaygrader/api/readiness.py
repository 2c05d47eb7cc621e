"""Readiness: can this process reach the database, the broker and the blob store?"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from essaygrader.api.queue import TaskQueue
from essaygrader.db.session import Database
from essaygrader.storage.base import BlobStore, content_key

log = logging.getLogger(__name__)

# Any well-formed key works: the probe only asks whether the store answers.
_PROBE_KEY = content_key(b"")


class Readiness:
    """Checks each dependency of a serving process.

    Args:
        database: Must answer a query, with its schema migrated.
        task_queue: Must tell at least one queue's length.
        blobs: Must answer whether a blob exists.
    """

    def __init__(self, database: Database, task_queue: TaskQueue, blobs: BlobStore) -> None:
        self.database = database
        self.task_queue = task_queue
        self.blobs = blobs

    def check(self) -> dict[str, Any]:
        """``{"ready": bool, "checks": {name: {"ok": bool, "detail": str}}}``.

        Details say only whether a dependency answered: readiness is public, and error
        messages can name hosts. The full error goes to the log.
        """
        checks = {
            "database": _probe("database", self._database),
            "broker": _probe("broker", self._broker),
            "storage": _probe("storage", self._storage),
        }
        return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}

    def _database(self) -> bool:
        with self.database.transaction(read_only=True) as session:
            return session.execute(text("SELECT 1")).scalar() == 1

    def _broker(self) -> bool:
        # A queue that cannot reach its broker reports every length as unknown.
        return any(n is not None for n in self.task_queue.queue_lengths().values())

    def _storage(self) -> bool:
        self.blobs.exists(_PROBE_KEY)
        return True


def _probe(name: str, check: Callable[[], bool]) -> dict[str, Any]:
    try:
        ok = check()
    except Exception as exc:
        # Whatever the failure, the answer is "not ready"; the log keeps the reason.
        log.warning("readiness: %s unreachable: %s: %s", name, type(exc).__name__, exc)
        return {"ok": False, "detail": "unreachable"}
    return {"ok": ok, "detail": "ok" if ok else "unreachable"}
