"""The embedded broker polls fast while deliveries flow and slowly when idle."""

from __future__ import annotations

from queue import Empty

import pytest

from essaygrader.queues import sqlite_broker


class _NothingToDeliver:
    def get(self, callback, timeout=None):
        raise Empty


def _sleeps(monkeypatch, last_delivery: float) -> list[float]:
    clock = {"now": 100.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(sqlite_broker, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(sqlite_broker, "sleep", sleep)
    transport = object.__new__(sqlite_broker.Transport)
    transport.cycle = _NothingToDeliver()
    transport.polling_interval = 0.05
    transport.last_delivery = last_delivery
    with pytest.raises(TimeoutError):
        transport.drain_events(None, timeout=3.0)
    return slept


def test_idle_workers_poll_at_the_configured_interval(monkeypatch):
    slept = _sleeps(monkeypatch, last_delivery=0.0)
    assert set(slept) == {0.05}


def test_after_a_delivery_workers_poll_fast_then_slow_down(monkeypatch):
    slept = _sleeps(monkeypatch, last_delivery=100.0)
    fast = [s for s in slept if s == sqlite_broker.BUSY_POLLING_INTERVAL]
    assert slept[0] == sqlite_broker.BUSY_POLLING_INTERVAL
    assert slept[-1] == 0.05
    assert sum(fast) == pytest.approx(sqlite_broker.BUSY_SECONDS, abs=0.01)


def _channel(path):
    from kombu import Connection

    url = f"sqla+sqlite:///{path}"
    sqlite_broker.prepare(url)
    connection = Connection(sqlite_broker.engine_url(url), transport=sqlite_broker.TRANSPORT)
    return connection, connection.channel()


def test_a_queue_another_process_inserts_first_is_used_not_fatal(tmp_path):
    import sqlite3

    from sqlalchemy import event

    connection, channel = _channel(tmp_path / "broker.sqlite")
    try:
        channel._get_or_create("warm-up")  # creates the tables

        def insert_first(session, *_):
            other = sqlite3.connect(tmp_path / "broker.sqlite")
            with other:
                other.execute("INSERT INTO kombu_queue (name) VALUES ('grading')")
            other.close()

        event.listen(channel.session, "before_flush", insert_first, once=True)
        queue = channel._get_or_create("grading")
        assert queue.name == "grading"
        channel._put("grading", {"body": "kept"})
        assert channel._get("grading") == {"body": "kept"}
    finally:
        channel.close()
        connection.release()


def test_tables_another_process_creates_first_are_used_not_fatal(tmp_path, monkeypatch):
    from kombu.transport import sqlalchemy as kombu_sqla
    from sqlalchemy.exc import OperationalError

    create_all = kombu_sqla.metadata.create_all
    calls: list[object] = []

    def lose_the_race(engine, *args, **kwargs):
        calls.append(engine)
        create_all(engine, *args, **kwargs)
        if len(calls) == 1:
            lost = Exception("table kombu_queue already exists")
            raise OperationalError("CREATE TABLE kombu_queue", {}, lost)

    monkeypatch.setattr(kombu_sqla.metadata, "create_all", lose_the_race)
    monkeypatch.setattr(kombu_sqla.Channel, "_engines", {})
    connection, channel = _channel(tmp_path / "broker.sqlite")
    try:
        channel._put("grading", {"body": "kept"})
        assert channel._get("grading") == {"body": "kept"}
        assert len(calls) == 2
    finally:
        channel.close()
        connection.release()


def test_a_reject_from_the_pools_thread_while_the_consumer_polls_is_safe(tmp_path):
    # Celery runs a killed pool process's reject (requeue: a _put) at once in billiard's
    # supervisor thread, on the consumer's channel, while the consumer thread polls it
    # (_get). One session used by both at once broke the consumer, and with it the worker.
    import threading

    connection, channel = _channel(tmp_path / "broker.sqlite")
    sent = 300
    errors: list[BaseException] = []
    received: list[int] = []
    try:
        channel._queue_id("grading")

        def put() -> None:
            try:
                for number in range(sent):
                    channel._put("grading", {"n": number})
            except BaseException as exc:  # the thread reports any failure
                errors.append(exc)

        putter = threading.Thread(target=put)
        putter.start()
        while (putter.is_alive() or len(received) < sent) and not errors:
            try:
                received.append(channel._get("grading")["n"])
            except Empty:
                if not putter.is_alive() and len(received) < sent:
                    assert channel._size("grading") == 0
                    break
        putter.join()
        assert errors == []
        assert sorted(received) == list(range(sent))
    finally:
        channel.close()
        connection.release()
