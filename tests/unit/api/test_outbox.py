"""The task outbox: a request commits its tasks with its workflows and never waits on the
broker; the relay sends them, puts them off while the broker refuses them, and any relay
takes the rows of a writer that died."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from essaygrader.api.outbox import OutboxRelay, retry_delay
from essaygrader.api.queue import OUTBOX_CLAIM_SECONDS, TaskQueue
from essaygrader.cli.reports import format_status
from essaygrader.db.models import OutboxTaskRecord, utcnow
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError
from essaygrader.runtime import Runtime
from essaygrader.web.metrics import HttpMetrics
from essaygrader.web.prometheus import render
from tests.factories import RUBRIC, essay, sample_metrics, train_with_metrics


class BrokerQueue(TaskQueue):
    """Sends from the relay's thread, like Celery; ``down`` refuses, ``stall`` blocks."""

    sends_in_background = True

    def __init__(self) -> None:
        super().__init__(grading_batch_size=10)
        self.sent: list[tuple[TaskType, tuple[str, ...]]] = []
        self.calls = 0
        self.down = False
        self.stall = threading.Event()
        self.stall.set()

    def send(self, task_type: TaskType, batches: Sequence[Sequence[str]]) -> int:
        self.calls += 1
        self.stall.wait(30)
        if self.down:
            raise ConnectionError("broker down")
        self.sent += [(task_type, tuple(batch)) for batch in batches]
        return len(batches)

    def queue_lengths(self) -> dict[str, int | None]:
        return {}


@pytest.fixture
def broker():
    return BrokerQueue()


@pytest.fixture
def relayed(settings, broker):
    runtime = Runtime(settings, task_queue=broker)
    runtime.client.create_item("c", "i", RUBRIC)
    train_with_metrics(runtime, "c", "i", sample_metrics())
    runtime.outbox.close()
    broker.sent.clear()
    broker.calls = 0
    yield runtime
    broker.stall.set()
    runtime.close()


def _rows(runtime):
    with runtime.database.transaction(read_only=True) as session:
        return list(session.scalars(select(OutboxTaskRecord).order_by(OutboxTaskRecord.id)))


def _essays(count):
    return [{"student_id": f"s{n}", "answer": essay(30)} for n in range(count)]


def _wait_for(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_submit_answers_while_the_broker_hangs_and_its_tasks_follow(relayed, broker):
    broker.stall.clear()  # the broker takes connections and never answers
    started = time.monotonic()
    submitted = relayed.client.submit_many("c", "i", _essays(50))
    assert time.monotonic() - started < 5  # far less in practice; the broker holds 30 s
    assert all(s["status"] == "scheduled" for s in submitted)
    assert len(_rows(relayed)) == 5  # five tasks of ten, committed with the workflows
    assert broker.sent == []
    broker.stall.set()
    _wait_for(lambda: not _rows(relayed))
    sent = [uuid for _, batch in broker.sent for uuid in batch]
    assert sent == [s["grading_workflow_uuid"] for s in submitted]


def test_a_broker_that_refuses_puts_the_tasks_off_without_a_flood(relayed, broker):
    broker.down = True
    submitted = relayed.client.submit_many("c", "i", _essays(30))
    _wait_for(lambda: _rows(relayed) and all(r.attempts == 1 for r in _rows(relayed)))
    assert broker.calls == 1  # one probe, then every task waits for the next try
    rows = _rows(relayed)
    assert len(rows) == 3
    assert all(r.due_at > utcnow() + timedelta(seconds=retry_delay(1) - 2) for r in rows)
    assert relayed.outbox.relay_due() == 0  # not due yet: nothing is tried
    assert broker.calls == 1
    # Operators see the tasks held back: status, the CLI's report and /metrics.
    assert relayed.client.status()["outbox"] == 3
    assert "outbox 3" in format_status(relayed.client.status())
    assert "essaygrader_outbox_tasks 3" in render(relayed.client.statistics(), HttpMetrics())
    broker.down = False
    _make_due(relayed)
    assert relayed.outbox.relay_due() == 30
    assert not _rows(relayed)
    assert relayed.client.status()["outbox"] == 0
    assert sorted(u for _, b in broker.sent for u in b) == sorted(
        s["grading_workflow_uuid"] for s in submitted
    )


def test_retries_back_off_to_a_ceiling():
    assert [retry_delay(n) for n in (1, 2, 3, 4, 9)] == [5.0, 10.0, 20.0, 20.0, 20.0]


def test_another_relay_takes_the_rows_of_a_writer_that_died(relayed, broker, settings):
    broker.stall.clear()
    relayed.client.submit("c", "i", "s1", essay(30))
    (row,) = _rows(relayed)
    # Written claimed by its writer, which now "dies" holding it.
    assert row.due_at > utcnow() + timedelta(seconds=OUTBOX_CLAIM_SECONDS - 5)
    other_queue = BrokerQueue()
    other = OutboxRelay(relayed.database, other_queue)
    assert other.relay_due() == 0  # the writer's claim holds
    _make_due(relayed)
    assert other.relay_due() == 1
    assert other.relay_due() == 0  # claimed and deleted: sent once
    assert [b for _, b in other_queue.sent] == [tuple(row.workflow_uuids)]
    assert not _rows(relayed)


def test_two_relays_at_once_send_each_row_once(relayed, broker):
    broker.down = True
    relayed.client.submit_many("c", "i", _essays(100))
    _wait_for(lambda: all(r.attempts == 1 for r in _rows(relayed)))
    _make_due(relayed)
    queues = [BrokerQueue() for _ in range(4)]
    relays = [OutboxRelay(relayed.database, q) for q in queues]
    threads = [threading.Thread(target=r.relay_due) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [u for q in queues for _, batch in q.sent for u in batch]
    assert len(sent) == len(set(sent)) == 100
    assert not _rows(relayed)


def test_a_request_that_fails_leaves_no_task_in_the_outbox(relayed):
    with pytest.raises(RequestError):
        relayed.client.submit_many(
            "c",
            "i",
            [{"student_id": "s1", "answer": essay(30)}, {"student_id": "s2", "answer": ""}],
        )
    assert _rows(relayed) == []


def test_closing_the_runtime_sends_what_its_relay_still_holds(settings, broker):
    runtime = Runtime(settings, task_queue=broker)
    runtime.client.create_item("c", "i", RUBRIC)
    train_with_metrics(runtime, "c", "i", sample_metrics())
    runtime.close()
    assert _rows(runtime) == []
    assert next(t for t, _ in broker.sent) is TaskType.TRAIN


def _make_due(runtime):
    with runtime.database.transaction() as session:
        session.execute(update(OutboxTaskRecord).values(due_at=utcnow() - timedelta(seconds=1)))
