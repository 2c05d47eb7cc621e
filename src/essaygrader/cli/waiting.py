"""``--wait``: follow workflows to the end with a progress bar.

On the embedded default (the SQLite broker) a command that waits and finds no worker
running starts one for its own duration, so one command works on a fresh machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from essaygrader.contract import GradingService, TrainingWorkflowOut
from essaygrader.queues.celery_app import broker_kind
from essaygrader.runtime import Runtime

POLL_SECONDS = 0.5

GradingClient = GradingService
"""Either side of the same calls: in-process, or a remote service."""


@contextmanager
def worker_available(runtime: Runtime, queue: str) -> Iterator[None]:
    """Make sure a worker consumes ``queue`` while the block runs.

    With the SQLite broker and no live worker, a worker process is started and stopped
    (warm shutdown: it finishes its task and returns unstarted ones to the queue).
    With another broker, workers run elsewhere; a hint is printed when none is seen.
    """
    live = [w for w in runtime.client.status()["workers"] if queue in w["queues"]]
    if live:
        yield
        return
    if broker_kind(runtime.settings.resolved_broker_url) != "sqlite":
        click.echo(
            f"note: no worker is consuming the {queue} queue; start one with `essaygrader worker`",
            err=True,
        )
        yield
        return
    log_path = runtime.settings.data_dir / "worker.log"
    click.echo(f"starting a worker for this command (log: {log_path})", err=True)
    process = start_worker_process(runtime, log_path)
    try:
        yield
    finally:
        stop_worker_process(process)


def start_worker_process(
    runtime: Runtime, log_path: Path, concurrency: int | None = None
) -> subprocess.Popen[bytes]:
    """Start ``essaygrader worker`` on the runtime's settings, logging to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_file:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "essaygrader",
                "worker",
                "--concurrency",
                str(concurrency or max(1, min(2, os.cpu_count() or 1))),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=_child_env(runtime),
        )


def stop_worker_process(process: subprocess.Popen[bytes]) -> None:
    """Warm shutdown: the worker finishes its task and returns unstarted ones."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SupervisedWorker:
    """``serve``'s embedded worker, started again whenever it exits on its own (a crash,
    the kernel's out-of-memory killer), as systemd's ``Restart=always`` does for a
    deployed one. The tasks a worker that died had started are sent again by the next
    one's sweeper once the dead one's heartbeat is stale.

    A worker that exits soon after its start is started again after a growing delay
    (5 s, doubling up to 5 minutes), so a worker that cannot start does not spin.

    Args:
        start: Starts a worker process.
        echo: Reports each exit and start.
    """

    RESTART_SECONDS = 5.0
    MAX_RESTART_SECONDS = 300.0
    # A worker that ran this long before exiting is started again after the first delay.
    STEADY_SECONDS = 60.0

    def __init__(
        self,
        start: Callable[[], subprocess.Popen[bytes]],
        echo: Callable[[str], None],
        *,
        check_seconds: float = 1.0,
    ) -> None:
        self._start = start
        self._echo = echo
        self._check_seconds = check_seconds
        self._stopping = threading.Event()
        self.restarts = 0
        self.process = start()
        self._started_at = time.monotonic()
        self._watcher = threading.Thread(
            target=self._watch, name="essaygrader-worker-supervisor", daemon=True
        )
        self._watcher.start()

    def _watch(self) -> None:
        delay = self.RESTART_SECONDS
        while not self._stopping.wait(self._check_seconds):
            code = self.process.poll()
            if code is None:
                continue
            ran = time.monotonic() - self._started_at
            delay = self.RESTART_SECONDS if ran >= self.STEADY_SECONDS else delay
            self._echo(
                f"embedded worker (pid {self.process.pid}) exited with {_exit_status(code)} "
                f"after {ran:.0f} s; starting another in {delay:.0f} s"
            )
            if self._stopping.wait(delay):
                return
            self._started_at = time.monotonic()
            try:
                self.process = self._start()
            except OSError as exc:
                # The dead process stays: the next check tries again, later.
                self._echo(f"could not start the embedded worker: {exc}")
            else:
                self.restarts += 1
                self._echo(f"embedded worker started again (pid {self.process.pid})")
            delay = min(2 * delay, self.MAX_RESTART_SECONDS)

    def stop(self) -> None:
        """Stop watching, then stop the worker (warm shutdown)."""
        self._stopping.set()
        # Every wait of the watcher ends at once; a start under way finishes first, so
        # self.process is then the last worker started.
        self._watcher.join()
        stop_worker_process(self.process)


def _exit_status(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def _child_env(runtime: Runtime) -> dict[str, str]:
    """The environment of a worker of this runtime: the same stores as the command,
    even where the command's settings differ from the environment's (``demo``)."""
    settings = runtime.settings
    env = dict(os.environ)
    env["ESSAYGRADER_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    for name in ("database_url", "broker_url", "storage_url", "classifier_disk_cache_dir"):
        env[f"ESSAYGRADER_{name.upper()}"] = getattr(settings, name)
    return env


def wait_for_training(client: GradingClient, workflow_uuid: str) -> TrainingWorkflowOut:
    """Block until training completes or fails; a bar counts trained criteria."""
    workflow = client.get_training_workflow(workflow_uuid)
    with click.progressbar(
        length=max(1, int(workflow["criteria_total"])), label="training", file=sys.stderr
    ) as bar:
        shown = 0
        while True:
            workflow = client.get_training_workflow(workflow_uuid)
            done = int(workflow["criteria_done"])
            if done > shown:
                bar.update(done - shown)
                shown = done
            if workflow["status"] in ("complete", "failed"):
                return workflow
            time.sleep(POLL_SECONDS)


def wait_for_grading(
    client: GradingClient, workflow_uuids: list[str], *, course_id: str, item_id: str
) -> dict[str, str]:
    """Block until every grading workflow is complete or failed.

    Submissions that wait for classifiers are awaited only while the item has training
    in progress; otherwise waiting for them would never end.

    Returns:
        The final status of each workflow.
    """
    statuses: dict[str, str] = {}
    with click.progressbar(length=len(workflow_uuids), label="grading", file=sys.stderr) as bar:
        finished = 0
        while True:
            for start in range(0, len(workflow_uuids), 10_000):
                statuses.update(
                    client.get_workflow_statuses(workflow_uuids[start : start + 10_000])
                )
            now_finished = sum(s in ("complete", "failed") for s in statuses.values())
            bar.update(now_finished - finished)
            finished = now_finished
            if finished == len(workflow_uuids):
                return statuses
            if "waiting" in statuses.values() and not _training_in_progress(
                client, course_id, item_id
            ):
                return statuses
            time.sleep(POLL_SECONDS)


def _training_in_progress(client: GradingClient, course_id: str, item_id: str) -> bool:
    counts = client.status(course_id, item_id)["workflows"]["train"]
    return bool(counts["scheduled"])
