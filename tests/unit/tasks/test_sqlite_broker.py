"""The embedded broker polls fast while deliveries flow and slowly when idle."""

from __future__ import annotations

from queue import Empty

import pytest

from essaygrader.tasks import sqlite_broker


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
