"""The task outbox's relay: sends the tasks that transactions wrote to ``task_outbox``.

A request commits its workflows and their tasks in one transaction and answers; it never
talks to the broker. After the commit, the process hands the new rows to its relay, which
sends them at once from a background thread (or inline, for queues that run tasks in the
calling process) and deletes them. Rows are written claimed by their writer for
``OUTBOX_CLAIM_SECONDS``, so no other relay races it for them.

When the broker refuses a task, the relay stops at that task and moves every row it held
to a later ``due_at`` (5, 10, then every 20 seconds): one probe per relay per interval,
not a flood. Any relay takes rows that are due, including those of a process that died
before sending them: the background thread looks every few seconds, and each worker's
maintenance thread on its heartbeat. It claims them first (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; on SQLite every write transaction begins ``IMMEDIATE``), and moves them to
``now + OUTBOX_CLAIM_SECONDS`` before sending, outside any transaction, so several relays
never send one row together and no lock is held while a broker is slow. A task may still
be sent twice (a relay that dies between sending and deleting); tasks are safe to run
twice. The sweeper remains the last net for tasks a broker loses after taking them.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Sequence
from datetime import timedelta
from time import monotonic

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from essaygrader.api.queue import OUTBOX_CLAIM_SECONDS, TaskQueue
from essaygrader.db.models import OutboxTaskRecord, utcnow
from essaygrader.db.session import Database
from essaygrader.domain.workflow import TaskType

log = logging.getLogger(__name__)

# Seconds before the next try after the broker refused a task, by attempts so far.
RETRY_SECONDS = (5.0, 10.0, 20.0)
# How often the background thread looks for rows nobody is sending.
POLL_SECONDS = 5.0
# The most rows one pass of relay_due takes.
CLAIM_LIMIT = 200


def retry_delay(attempts: int) -> float:
    """Seconds to wait before trying a task again after ``attempts`` failed sends."""
    return RETRY_SECONDS[min(max(attempts, 1), len(RETRY_SECONDS)) - 1]


def outbox_length(session: Session) -> int:
    """Tasks written by committed transactions and not sent to the broker yet (the whole
    service's): more than a few for longer than a relay's poll means the broker refuses
    them or no process relays."""
    return int(session.scalar(select(func.count(OutboxTaskRecord.id))) or 0)


class OutboxRelay:
    """Sends a process's outbox rows, and any due rows, through its task queue.

    Args:
        database: The database whose ``task_outbox`` this relay empties.
        task_queue: Where tasks go; its ``sends_in_background`` picks inline or
            background sending of the rows handed over.
        poll_seconds: How often the background thread looks for due rows.
    """

    def __init__(
        self, database: Database, task_queue: TaskQueue, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self.database = database
        self.task_queue = task_queue
        self.background = task_queue.sends_in_background
        self.poll_seconds = poll_seconds
        self._exit_hook = False
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._handed: list[int] = []
        self._thread: threading.Thread | None = None

    def hand_off(self, outbox_ids: Sequence[int]) -> int | None:
        """Send these committed rows: inline (returns how many workflows were handed over)
        or from the background thread (returns None at once)."""
        if not self.background:
            return self.send_rows(outbox_ids)
        if self._pid != os.getpid():
            self._reset()  # a forked child: the parent's thread is not here
        with self._lock:
            self._handed.extend(outbox_ids)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="essaygrader-outbox", daemon=True
                )
                self._thread.start()
                if not self._exit_hook:
                    # A short-lived process (a command) sends what it wrote before it exits.
                    atexit.register(self.close)
                    self._exit_hook = True
        self._wake.set()
        return None

    def relay_due(self) -> int:
        """Claim the due rows nobody is sending, send them, and delete those sent.

        Returns:
            How many workflows were sent.
        """
        now = utcnow()
        with self.database.transaction(read_only=True) as session:
            found = session.scalar(
                select(OutboxTaskRecord.id).where(OutboxTaskRecord.due_at <= now).limit(1)
            )
        if found is None:
            return 0
        with self.database.transaction() as session:
            ids = list(
                session.scalars(
                    select(OutboxTaskRecord.id)
                    .where(OutboxTaskRecord.due_at <= now)
                    .order_by(OutboxTaskRecord.id)
                    .limit(CLAIM_LIMIT)
                    .with_for_update(skip_locked=True)
                )
            )
            if ids:
                session.execute(
                    update(OutboxTaskRecord)
                    .where(OutboxTaskRecord.id.in_(ids))
                    .values(due_at=now + timedelta(seconds=OUTBOX_CLAIM_SECONDS))
                )
        return self.send_rows(ids)

    def send_rows(self, outbox_ids: Sequence[int]) -> int:
        """Send these rows, which this relay holds, in order; delete those sent and put
        the rest off after the first refusal.

        Returns:
            How many workflows were handed over.
        """
        if not outbox_ids:
            return 0
        with self.database.transaction(read_only=True) as session:
            rows = [
                (
                    row.id,
                    TaskType(row.task_type),
                    [str(u) for u in row.workflow_uuids],
                    row.attempts,
                )
                for row in session.scalars(
                    select(OutboxTaskRecord)
                    .where(OutboxTaskRecord.id.in_(list(outbox_ids)))
                    .order_by(OutboxTaskRecord.id)
                )
            ]
        sent_ids: list[int] = []
        handed_over = 0
        start = 0
        while start < len(rows):
            # Consecutive rows of one type go in one send (one broker connection).
            end = start
            while end < len(rows) and rows[end][1] is rows[start][1]:
                end += 1
            group = rows[start:end]
            try:
                sent = self.task_queue.send(group[0][1], [row[2] for row in group])
            except Exception as exc:
                log.warning("could not send tasks from the outbox: %s: %s", type(exc).__name__, exc)
                sent = 0
            sent_ids += [row[0] for row in group[:sent]]
            handed_over += sum(len(row[2]) for row in group[:sent])
            if sent < len(group):
                break
            start = end
        done = set(sent_ids)
        unsent = [row for row in rows if row[0] not in done]
        self._settle(sent_ids, unsent)
        return handed_over

    def _settle(
        self, sent_ids: list[int], unsent: list[tuple[int, TaskType, list[str], int]]
    ) -> None:
        if not sent_ids and not unsent:
            return
        now = utcnow()
        with self.database.transaction() as session:
            if sent_ids:
                session.execute(delete(OutboxTaskRecord).where(OutboxTaskRecord.id.in_(sent_ids)))
            for outbox_id, _, _, attempts in unsent:
                session.execute(
                    update(OutboxTaskRecord)
                    .where(OutboxTaskRecord.id == outbox_id)
                    .values(
                        attempts=attempts + 1,
                        due_at=now + timedelta(seconds=retry_delay(attempts + 1)),
                    )
                )
        if unsent:
            log.warning(
                "%d task(s) stay in the outbox; the next try is in %.0fs",
                len(unsent),
                retry_delay(min(row[3] for row in unsent) + 1),
            )

    def pending(self) -> int:
        """Rows in the outbox, sent by nobody yet."""
        with self.database.transaction(read_only=True) as session:
            return outbox_length(session)

    def _take_handed(self) -> list[int]:
        with self._lock:
            handed, self._handed = self._handed, []
        return handed

    def _run(self) -> None:
        next_poll = monotonic() + self.poll_seconds
        while not self._stop.is_set():
            self._wake.wait(max(0.0, next_poll - monotonic()))
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                handed = self._take_handed()
                if handed:
                    self.send_rows(handed)
                if monotonic() >= next_poll:
                    next_poll = monotonic() + self.poll_seconds
                    self.relay_due()
            except Exception:
                # A database or broker outage: the rows stay, and are tried again.
                log.exception("the outbox relay failed; trying again in %.0fs", self.poll_seconds)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the background thread, and send what was handed to it and not sent yet."""
        if self._pid != os.getpid():
            return
        thread = self._thread
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout)
            self._thread = None
            self._stop.clear()
        handed = self._take_handed()
        if handed:
            try:
                self.send_rows(handed)
            except Exception:
                log.exception("could not send the outbox's last tasks; another relay will")

    def after_fork(self) -> None:
        """In a forked child: start afresh, with no thread and nothing handed over."""
        self._reset()
