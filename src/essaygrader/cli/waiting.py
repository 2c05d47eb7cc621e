"""``--wait``: follow workflows to the end with a progress bar.

On the embedded default (the SQLite broker) a command that waits and finds no worker
running starts one for its own duration, so one command works on a fresh machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
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
