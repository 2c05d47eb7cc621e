"""The embedded broker: kombu's SQLAlchemy transport on a SQLite file, tuned.

Users name it ``sqla+sqlite:///path``; essaygrader hands Celery this subclass instead
of the stock one, for these reasons:

* The stock transport passes every transport option to ``create_engine``, so it cannot
  take ``polling_interval``; and it sleeps that interval (one second by default) after
  every empty poll, including the polls made while a worker's single prefetch slot is
  full. A worker process then takes one task per interval however fast tasks are. This
  transport polls every ``broker_polling_interval`` seconds when idle, and every 10 ms
  for a while after a delivery: a poll with a full slot never reaches the database, and
  an idle worker goes back to the slow cadence. A poll with a free slot does query the
  file; at 2 ms, a worker taking a steady trickle of single-essay tasks spent a third of
  a core polling, while a grading task now carries up to a batch of essays.
* Its engines live in a class-level cache that survives ``fork``. Task processes publish
  (retries, grading released by training), so a child must never reuse the parent's
  pooled SQLite connections.
* Its engine gets a 30-second busy timeout, and the file is put in WAL mode up front,
  with ``synchronous=NORMAL``.
* Each of its polls takes the file's write lock and commits, even when nothing waits;
  here a poll first reads whether anything waits, which takes no lock.
* Its set-up is not safe across processes: two workers starting together both create
  the tables, or both insert the same new queue, and the loser crashes on the
  "already exists" or unique-constraint error. Here the loser uses what the winner made.
* A channel's one database session is not safe across threads, and two threads use
  it: when a pool process dies, Celery rejects (requeues) its task at once from
  billiard's supervisor thread while the consumer thread polls the same channel. The
  stock transport then breaks the consumer with SQLAlchemy's "illegal state change",
  and the worker stops, leaving its tasks to the sweeper of another worker. Here each
  channel's session is used under a lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from queue import Empty
from time import monotonic, sleep
from typing import Any, TypeVar

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

TRANSPORT = "essaygrader.queues.sqlite_broker:Transport"
BUSY_TIMEOUT_SECONDS = 30


def is_sqlite_broker(url: str) -> bool:
    return url.split("://", 1)[0] in ("sqla+sqlite", "sqlalchemy+sqlite")


def engine_url(url: str) -> str:
    """``sqla+sqlite:///path`` becomes the SQLAlchemy URL ``sqlite:///path``."""
    return url.split("+", 1)[1]


def prepare(url: str) -> None:
    """Create the broker file's folder and switch the file to WAL mode (a file setting)."""
    path = Path(engine_url(url).split(":///", 1)[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def delete_delivered(url: str) -> int:
    """Delete messages the transport has delivered: it only hides them, and a message is
    never read again once hidden (a worker's unacknowledged messages are re-sent as new
    rows when it shuts down), so without this the broker file grows forever."""
    path = Path(engine_url(url).split(":///", 1)[1])
    if not path.exists():
        return 0
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        with connection:
            return connection.execute("DELETE FROM kombu_message WHERE visible = 0").rowcount
    except sqlite3.OperationalError:
        return 0  # no message table yet: nothing was ever sent
    finally:
        connection.close()


# After a delivery, poll this often for this long before falling back to the idle interval.
# It bounds the wait of a single submit's task (p99 target 0.1 s) at little CPU.
BUSY_POLLING_INTERVAL = 0.01
BUSY_SECONDS = 2.0


# Whether a queue has a message to deliver: a read, which in WAL mode takes no lock.
_WAITING = text("SELECT 1 FROM kombu_message WHERE queue_id = :queue_id AND visible = 1 LIMIT 1")


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _locked(method: _Method) -> _Method:
    """Run ``method`` holding its channel's session lock."""

    @wraps(method)
    def run(self: Channel, *args: Any, **kwargs: Any) -> Any:
        with self.session_lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class Channel(kombu_sqla.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before the base class, which may already declare queues.
        self.session_lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def _engine_from_config(self) -> Engine:
        engine = create_engine(
            self.connection.client.hostname, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # In WAL mode, NORMAL syncs at checkpoints rather than at every commit: a
            # power cut may lose the last messages sent, never corrupt the file, and the
            # sweeper sends again whatever the database says is unfinished.
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        return engine

    def _open(self) -> Any:
        try:
            return super()._open()
        except OperationalError as exc:
            if "already exists" not in str(exc):
                raise
            return super()._open()  # another process created the tables first

    @_locked
    # kombu's SQLAlchemy channel names the argument differently from its base class.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super()._put(queue, payload, **kwargs)

    @_locked
    def _purge(self, queue: str) -> int:
        return int(super()._purge(queue))

    @_locked
    def _size(self, queue: str) -> int:
        return int(super()._size(queue))

    @_locked
    def _get_or_create(self, queue: str) -> Any:
        session = self.session
        existing = session.query(self.queue_cls).filter(self.queue_cls.name == queue)
        found = existing.first()
        if found is not None:
            return found
        session.add(self.queue_cls(queue))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # another process inserted the queue first
        return existing.one()

    @_locked
    def _get(self, queue: Any, timeout: Any = None) -> Any:
        # kombu's _get takes the write lock and commits on every poll, empty or not,
        # which costs a busy worker a share of a core and holds up senders: look first.
        if self.session.execute(_WAITING, {"queue_id": self._queue_id(queue)}).first() is None:
            self.session.rollback()
            raise Empty()
        self.session.rollback()
        message = super()._get(queue)
        self.connection.last_delivery = monotonic()
        return message

    @_locked
    def _queue_id(self, queue: str) -> int:
        """The queue's row id; queues are never deleted, so it is read once."""
        ids: dict[str, int] = self.__dict__.setdefault("_queue_ids", {})
        if queue not in ids:
            ids[queue] = int(self._get_or_create(queue).id)
        return ids[queue]


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = 0.05
    last_delivery = 0.0

    def drain_events(self, connection: Any, timeout: Any = None, **kwargs: Any) -> Any:
        # kombu's loop, with the sleep chosen afresh on each turn (busy or idle).
        started = monotonic()
        cycle = self.cycle
        assert cycle is not None  # set when the transport opens its first channel
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)
            except Empty:
                now = monotonic()
                if timeout is not None and now - started >= timeout:
                    raise TimeoutError() from None
                busy = now - self.last_delivery < BUSY_SECONDS
                interval = BUSY_POLLING_INTERVAL if busy else self.polling_interval
                if timeout:
                    interval = min(interval, timeout)
                sleep(interval)
            else:
                return


def _forget_engines_after_fork() -> None:
    engines: dict[str, Any] = kombu_sqla.Channel._engines
    for engine, _ in engines.values():
        engine.dispose(close=False)
    engines.clear()


os.register_at_fork(after_in_child=_forget_engines_after_fork)
