"""How a task runs: which procedure, and what happens when it fails.

One policy for every queue implementation. A retryable error (a database or storage
hiccup, a time limit) is retried with exponential backoff and jitter, up to the
``task_max_retries`` setting; after that, or for an error that retrying cannot fix, the
failure is logged as non-recoverable and kept on the workflow for a person to see, fix
and reschedule.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from essaygrader.config import Settings
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import EssayGraderError, NotFoundError
from essaygrader.lti.passback import send_scores
from essaygrader.lti.webhooks import deliver
from essaygrader.worker.api import AIWorkerAPI
from essaygrader.worker.grading import grade_essays
from essaygrader.worker.training import train_classifiers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one run: done, to be retried after ``delay`` seconds, or failed."""

    kind: Literal["done", "retry", "failed"]
    delay: float = 0.0
    error: str | None = None


def retry_delay(settings: Settings, retries_done: int) -> float:
    """Exponential backoff with jitter: about base * 2**n, never above the maximum."""
    ceiling = min(
        settings.retry_backoff_max_seconds, settings.retry_backoff_seconds * 2**retries_done
    )
    return random.uniform(ceiling / 2, ceiling)


def run_task(
    worker: AIWorkerAPI,
    task_type: TaskType,
    workflow_uuids: Sequence[str],
    retries_done: int,
    *,
    worker_name: str | None = None,
) -> Outcome:
    """Run one task and decide what its failure, if any, means.

    A grading task's essays fail or succeed one by one inside the procedure; what
    reaches this policy is an error of the whole task (the database, the blob store, a
    time limit), which is kept on each of its workflows that is still open.

    Args:
        workflow_uuids: The workflows the task names: one for training, a batch of one
            item's for grading.
        retries_done: How many times this task was already retried.
        worker_name: The worker running it, as its heartbeat names it.
    """
    uuids = list(workflow_uuids)
    what = f"{task_type.value} task {_describe(uuids)}"
    try:
        if task_type is TaskType.TRAIN:
            for uuid in uuids:
                train_classifiers(worker, uuid, worker_name=worker_name)
        elif task_type is TaskType.PASSBACK:
            send_scores(worker.settings, worker.database, uuids)
        elif task_type is TaskType.WEBHOOK:
            sent = deliver(
                worker.database, uuids, first_retry=worker.settings.webhook_retry_seconds
            )
            if sent.follow_up:
                worker.task_queue.enqueue_many(TaskType.WEBHOOK, sent.follow_up)
            if sent.retry_in is not None:
                # Webhooks keep their own schedule (backoff for a day), not the
                # task_max_retries of grading.
                return Outcome("retry", delay=sent.retry_in)
        else:
            grade_essays(worker, uuids, worker_name=worker_name)
    except NotFoundError as exc:
        log.error("%s dropped: %s", what, exc)
        return Outcome("failed", error=str(exc))
    except EssayGraderError as exc:
        error, retryable = f"{exc.code}: {exc}", exc.retryable
    except Exception as exc:
        # An error we did not anticipate (a driver exception, a time limit): it may be
        # transient, so it gets the retries; the traceback goes to the log.
        log.exception("unexpected error in %s", what)
        error, retryable = f"{type(exc).__name__}: {exc}", True
    else:
        return Outcome("done")

    settings = worker.settings
    if retryable and retries_done < settings.task_max_retries:
        delay = retry_delay(settings, retries_done)
        log.warning(
            "%s failed (retry %d of %d in %.1fs): %s",
            what,
            retries_done + 1,
            settings.task_max_retries,
            delay,
            error,
        )
        _record(worker, task_type, uuids, error, final=False)
        return Outcome("retry", delay=delay, error=error)
    log.error(
        "%s failed, non-recoverable after %d retries: %s; fix the cause, then "
        "reschedule the item's unfinished tasks",
        what,
        retries_done,
        error,
    )
    _record(worker, task_type, uuids, error, final=True)
    return Outcome("failed", error=error)


def _describe(uuids: list[str]) -> str:
    return uuids[0] if len(uuids) == 1 else f"of {len(uuids)} workflows ({uuids[0]}, ...)"


def _record(
    worker: AIWorkerAPI, task_type: TaskType, uuids: list[str], error: str, *, final: bool
) -> None:
    if task_type in (TaskType.PASSBACK, TaskType.WEBHOOK):
        # Passbacks and deliveries keep their own errors and attempts, in their tables.
        return
    try:
        worker.record_failure(task_type, uuids, error, final=final)
    except EssayGraderError:
        # The database is down too; the workflows stay unfinished and the sweeper
        # schedules them again once it is back.
        log.exception("could not record the failure of %s task %s", task_type.value, uuids)
