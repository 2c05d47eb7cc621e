"""Workers run the housekeeping (old idempotency keys, essay texts past retention) from
their maintenance thread, beside heartbeats and sweeps, and survive its failures."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from essaygrader.config import Settings
from essaygrader.queues.worker import Maintenance


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.ran = threading.Event()

    def heartbeat(self, name, queues):
        self.calls.append("heartbeat")

    def sweep(self):
        self.calls.append("sweep")

    def forget_worker(self, name):
        self.calls.append("forget")

    def run(self):
        self.calls.append("housekeeping")
        self.ran.set()
        raise RuntimeError("the database is away")


def test_the_maintenance_thread_runs_housekeeping_and_keeps_going(tmp_path):
    recorder = Recorder()
    services = SimpleNamespace(
        settings=Settings(
            data_dir=tmp_path, worker_heartbeat_seconds=0.01, sweep_interval_seconds=0.01
        ),
        worker=recorder,
        housekeeping=recorder,
        task_queue=SimpleNamespace(relay=None),
    )
    maintenance = Maintenance(services, "w1", ["grading"])
    maintenance.start()
    assert recorder.ran.wait(5)
    ticks = recorder.calls.count("heartbeat")
    while recorder.calls.count("heartbeat") < ticks + 5:
        recorder.ran.wait(0.01)
    maintenance.stop()
    # Housekeeping failed, and heartbeats and sweeps carried on; it runs once at start,
    # then hourly.
    assert recorder.calls.count("housekeeping") == 1
    assert recorder.calls.count("heartbeat") >= 1
    assert recorder.calls[-1] == "forget"


def test_the_maintenance_thread_sends_the_outbox_on_every_heartbeat(tmp_path):
    """Outbox rows whose writer died, or that the broker refused, need a relay even when
    no API process runs: every worker's main process is one."""
    recorder = Recorder()
    passes = []
    relayed = threading.Event()

    class Relay:
        def relay_due(self):
            passes.append(1)
            if len(passes) >= 3:
                relayed.set()
            return 0

    services = SimpleNamespace(
        settings=Settings(
            data_dir=tmp_path, worker_heartbeat_seconds=0.01, sweep_interval_seconds=0.01
        ),
        worker=recorder,
        housekeeping=SimpleNamespace(run=lambda: None),
        task_queue=SimpleNamespace(relay=Relay()),
    )
    maintenance = Maintenance(services, "w1", ["grading"])
    maintenance.start()
    assert relayed.wait(5)
    maintenance.stop()
    assert recorder.calls.count("heartbeat") >= 3
