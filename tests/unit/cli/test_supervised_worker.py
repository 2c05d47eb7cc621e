"""``serve``'s embedded worker is started again when it exits on its own, and stopped for
good with the server."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from essaygrader.cli.waiting import SupervisedWorker, _exit_status


class _Starts:
    """Starts ``sleep`` processes in place of workers, and keeps them."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []

    def __call__(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["sleep", "60"])
        self.processes.append(process)
        return process


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(SupervisedWorker, "RESTART_SECONDS", 0.1)
    monkeypatch.setattr(SupervisedWorker, "MAX_RESTART_SECONDS", 0.4)


def test_a_worker_that_dies_is_started_again_and_the_last_one_stopped(quick):
    starts = _Starts()
    said: list[str] = []
    worker = SupervisedWorker(starts, said.append, check_seconds=0.02)
    try:
        first = worker.process
        os.kill(first.pid, signal.SIGKILL)
        _wait_for(lambda: worker.restarts == 1)
        assert worker.process is not first
        assert worker.process.poll() is None
        assert said[0].startswith(f"embedded worker (pid {first.pid}) exited with signal SIGKILL")
        assert said[1] == f"embedded worker started again (pid {worker.process.pid})"
    finally:
        worker.stop()
    assert all(process.poll() is not None for process in starts.processes)
    time.sleep(0.3)
    assert len(starts.processes) == 2  # nothing started after the stop


def test_exit_statuses_are_named():
    assert _exit_status(-signal.SIGKILL) == "signal SIGKILL"
    assert _exit_status(1) == "code 1"


def test_the_restart_delay_doubles_and_resets_after_a_steady_run(quick, monkeypatch):
    waits: list[float] = []
    starts = _Starts()
    worker = SupervisedWorker(starts, lambda _: None, check_seconds=0.02)
    real_wait = worker._stopping.wait

    def wait(seconds: float) -> bool:
        if seconds != 0.02:
            waits.append(seconds)
        return real_wait(seconds)

    monkeypatch.setattr(worker._stopping, "wait", wait)
    try:
        for restarts in range(1, 5):
            os.kill(worker.process.pid, signal.SIGKILL)
            _wait_for(lambda restarts=restarts: worker.restarts == restarts)
        monkeypatch.setattr(SupervisedWorker, "STEADY_SECONDS", 0.0)
        os.kill(worker.process.pid, signal.SIGKILL)
        _wait_for(lambda: worker.restarts == 5)
    finally:
        worker.stop()
    assert waits == [0.1, 0.2, 0.4, 0.4, 0.1]


def test_a_start_that_fails_is_tried_again(quick):
    starts = _Starts()
    said: list[str] = []
    failures = iter([OSError("no such file")])

    def start() -> subprocess.Popen[bytes]:
        if len(starts.processes) == 1:
            failure = next(failures, None)
            if failure is not None:
                raise failure
        return starts()

    worker = SupervisedWorker(start, said.append, check_seconds=0.02)
    try:
        os.kill(worker.process.pid, signal.SIGKILL)
        _wait_for(lambda: worker.restarts == 1)
    finally:
        worker.stop()
    assert "could not start the embedded worker: no such file" in said
    assert len(starts.processes) == 2


def test_stopping_while_a_restart_waits_starts_nothing(monkeypatch):
    monkeypatch.setattr(SupervisedWorker, "RESTART_SECONDS", 30.0)
    starts = _Starts()
    said: list[str] = []
    worker = SupervisedWorker(starts, said.append, check_seconds=0.02)
    os.kill(worker.process.pid, signal.SIGKILL)
    _wait_for(lambda: len(said) == 1)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 5
    assert len(starts.processes) == 1
    assert worker.restarts == 0
