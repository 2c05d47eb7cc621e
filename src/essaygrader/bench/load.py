"""``essaygrader bench load``: how fast a set of workers drains a burst of essays.

The benchmark creates an item, trains it, then submits essays, either all at once (a
deadline's burst) or at a steady rate, to real ``essaygrader worker`` processes on the
chosen broker and database, and reports:

* **drain time**: from the first submission to the last assessment;
* **essays/s**: essays graded divided by the drain time;
* **latency**: submission to assessment per essay, p50/p95/p99, from the timestamps the
  database recorded (submission rows and completed grading workflows);
* **memory**: the workers' resident memory (main and pool processes) and this
  process's, sampled while grading, and its slope in MB per hour (a least-squares line:
  a soak at a steady rate shows a leak as a slope well above zero);
* **errors**: submissions refused and essays whose grading failed;
* **CPU**: the cores the workers used, and the cores the whole machine was busy, over the
  drain: when the machine is near its core count, the cores were the limit;
* **scoring**: before the essays are submitted, the same classifiers score the same
  essays in this process, one at a time with a fresh feature cache as grading does, on
  one core and without database or broker (:mod:`essaygrader.bench.scoring`); the ratio
  of the drain throughput to it shows how much of the workers' time the engine around
  the classifiers costs.

Use a scratch database and broker: the benchmark creates an item there and runs its own
workers. It refuses to start where other workers are alive or tasks are waiting.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from essaygrader.bench import workload
from essaygrader.bench.scoring import load_classifier_set, score_one_at_a_time
from essaygrader.bench.workers import CpuSample, WorkerFleet
from essaygrader.config import ENV_PREFIX, Settings, mask_url
from essaygrader.db.models import GradingWorkflowRecord
from essaygrader.db.workflows import has_status
from essaygrader.domain.submission import essay_text
from essaygrader.domain.workflow import WorkflowStatus
from essaygrader.errors import EssayGraderError, InternalError
from essaygrader.queues.celery_app import broker_kind
from essaygrader.runtime import Runtime

ENGINES = ("embedded", "redis", "rabbitmq")
_BROKER_KIND = {"embedded": "sqlite", "redis": "redis", "rabbitmq": "amqp"}
SUBMIT_CHUNK = 500
POLL_SECONDS = 1.0
PROGRESS_SECONDS = 10.0
MEMORY_SAMPLE_SECONDS = 10.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadPlan:
    """What to run.

    Attributes:
        engine: ``embedded`` (SQLite database and broker), ``redis`` or ``rabbitmq``.
        workers: Worker processes.
        concurrency: Pool processes per worker.
        essays: Essays to grade.
        rate: Essays per second, submitted one at a time; None submits one burst.
        algorithm: Algorithm id; None picks the ``default_algorithm`` setting, or
            ``fake`` where that is not registered.
        examples: Graded examples to train on.
        broker_url: Overrides the ``broker_url`` setting (redis and rabbitmq engines).
        database_url: Overrides the ``database_url`` setting (redis and rabbitmq).
        timeout: Seconds to wait for training and for grading, each.
    """

    engine: str
    workers: int = 1
    concurrency: int = 1
    essays: int = 10_000
    rate: float | None = None
    algorithm: str | None = None
    examples: int = 100
    broker_url: str | None = None
    database_url: str | None = None
    timeout: float = 3600.0


@dataclass
class LoadResult:
    """What was measured; ``header`` describes the set-up."""

    header: dict[str, str]
    training_seconds: float = 0.0
    submit_seconds: float = 0.0
    drain_seconds: float = 0.0
    graded: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    worker_cores: float | None = None
    machine_cores: float | None = None
    scoring_per_core: float | None = None
    submit_errors: int = 0
    # (seconds since the first submission, workers' MB, this process's MB)
    memory: list[tuple[float, float, float]] = field(default_factory=list)

    def memory_slope(self, column: int) -> float | None:
        """MB per hour of a memory column (1: workers, 2: this process), least squares."""
        points = [(row[0], row[column]) for row in self.memory]
        if len(points) < 3 or points[-1][0] - points[0][0] <= 0:
            return None
        mean_t = sum(t for t, _ in points) / len(points)
        mean_m = sum(m for _, m in points) / len(points)
        spread = sum((t - mean_t) ** 2 for t, _ in points)
        if spread == 0:
            return None
        slope = sum((t - mean_t) * (m - mean_m) for t, m in points) / spread
        return slope * 3600

    @property
    def essays_per_second(self) -> float:
        return self.graded / self.drain_seconds if self.drain_seconds > 0 else 0.0

    @property
    def scoring_ratio(self) -> float | None:
        """Drain throughput over scoring-only throughput per core."""
        if not self.scoring_per_core:
            return None
        return self.essays_per_second / self.scoring_per_core


def settings_for(plan: LoadPlan, base: Settings, data_dir: Path) -> Settings:
    """The settings of the benchmark's processes.

    Raises:
        InternalError: ``configuration_error``; the broker named does not belong to the engine.
    """
    if plan.engine == "embedded":
        return base.with_overrides(data_dir=data_dir, database_url="", broker_url="")
    broker = plan.broker_url or base.broker_url
    if broker_kind(broker) != _BROKER_KIND[plan.engine]:
        raise InternalError(
            f"engine {plan.engine} needs a {plan.engine} broker: give --broker-url or set "
            f"{ENV_PREFIX}BROKER_URL (now {mask_url(broker) or 'the embedded broker'!r})",
            field="broker_url",
            code="configuration_error",
        )
    database = plan.database_url if plan.database_url is not None else base.database_url
    return base.with_overrides(data_dir=data_dir, broker_url=broker, database_url=database)


def choose_algorithm(plan: LoadPlan, runtime: Runtime) -> str:
    """The plan's algorithm, else the setting's, else ``fake`` if that is not registered."""
    if plan.algorithm:
        return runtime.algorithms.check(plan.algorithm, field="--algorithm")
    wanted = runtime.settings.default_algorithm
    return wanted if wanted in runtime.algorithms.ids() else "fake"


def run_load(
    plan: LoadPlan, base: Settings, progress: Callable[[str], None] = lambda _: None
) -> LoadResult:
    """Run the benchmark and return its figures.

    Raises:
        InternalError: ``configuration_error``; bad settings, or a database and broker that are
            not scratch.
        InternalError: Training failed, a worker stopped, or training or grading did not
            finish within the timeout.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="essaygrader-bench-"))
    try:
        settings = settings_for(plan, base, data_dir)
    except InternalError:
        data_dir.rmdir()
        raise
    runtime = Runtime(settings)
    fleet = WorkerFleet(_worker_env(settings), data_dir / "logs", plan.workers, plan.concurrency)
    measured = False
    try:
        runtime.database.migrate()
        _refuse_busy(runtime)
        algorithm = choose_algorithm(plan, runtime)
        result = LoadResult(_header(plan, runtime, algorithm))
        fleet.start()
        _wait(lambda: _live_workers(runtime) >= plan.workers, plan.timeout, "workers", fleet)
        item_id = f"load-{int(time.time())}-{os.getpid()}"
        runtime.client.create_item(
            "bench", item_id, workload.RUBRIC, prompt=workload.PROMPT, algorithm_id=algorithm
        )
        progress(f"training {algorithm} on {plan.examples} examples")
        started = time.monotonic()
        training = runtime.client.train_classifiers(
            "bench", item_id, workload.training_examples(plan.examples)
        )["training_workflow_uuid"]
        _wait(
            lambda: runtime.client.get_training_workflow(training)["status"] != "scheduled",
            plan.timeout,
            "training",
            fleet,
        )
        result.training_seconds = time.monotonic() - started
        trained = runtime.client.get_training_workflow(training)
        set_uuid = trained["classifier_set_uuid"]
        if trained["status"] != "complete" or set_uuid is None:
            raise InternalError(f"training failed; see the worker logs in {fleet.log_dir}")
        batch = workload.essays(plan.essays)
        progress(f"scoring {plan.essays} essays without the engine, on one core")
        result.scoring_per_core = _scoring_only(runtime, set_uuid, batch)
        progress(f"submitting {plan.essays} essays")
        before = fleet.cpu()
        started = time.monotonic()
        sampler = _MemorySampler(fleet, result, started)
        _submit(runtime, item_id, plan, batch, result, sampler.sample)
        result.submit_seconds = time.monotonic() - started
        grading = _GradingProgress(runtime, item_id, plan.essays - result.submit_errors, progress)

        def finished() -> bool:
            sampler.sample()
            return grading.finished()

        _wait(finished, plan.timeout, "grading", fleet)
        after = fleet.cpu()
        _measure(runtime, item_id, result, before, after)
        measured = True
        return result
    finally:
        fleet.stop()
        runtime.close()
        if measured:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            progress(f"kept {data_dir}: the workers' logs are in {fleet.log_dir}")


def _worker_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env[f"{ENV_PREFIX}DATA_DIR"] = str(settings.data_dir)
    env[f"{ENV_PREFIX}DATABASE_URL"] = settings.database_url
    env[f"{ENV_PREFIX}BROKER_URL"] = settings.broker_url
    return env


def _refuse_busy(runtime: Runtime) -> None:
    status = runtime.client.status()
    if status["workers"]:
        raise InternalError(
            f"{len(status['workers'])} worker(s) already consume this database's tasks; "
            "run the benchmark on a scratch database and broker",
            code="configuration_error",
        )
    waiting = {q: n for q, n in status["queues"].items() if n}
    if waiting:
        raise InternalError(
            f"tasks are waiting in the broker ({waiting}); run the benchmark on a scratch broker",
            code="configuration_error",
        )


def _header(plan: LoadPlan, runtime: Runtime, algorithm: str) -> dict[str, str]:
    settings = runtime.settings
    load = (
        f"{plan.essays} essays as one burst"
        if plan.rate is None
        else f"{plan.essays} essays at a steady {plan.rate:g}/s"
    )
    averages = " ".join(f"{a:.2f}" for a in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "engine": plan.engine,
        "broker": mask_url(settings.resolved_broker_url),
        "database": f"{runtime.database.dialect} {mask_url(settings.resolved_database_url)}",
        "workers": f"{plan.workers} process(es) x {plan.concurrency} pool process(es)",
        "storage": runtime.blobs.describe(),
        "algorithm": algorithm,
        "load": load,
        "machine": f"{os.cpu_count()} CPUs, load average {averages} before the run",
    }


def _live_workers(runtime: Runtime) -> int:
    return len(runtime.client.status()["workers"])


def _scoring_only(runtime: Runtime, set_uuid: str, batch: list[dict[str, Any]]) -> float:
    classifiers = load_classifier_set(runtime.database, runtime.blobs, runtime.algorithms, set_uuid)
    max_chars = runtime.settings.max_essay_chars
    texts = [essay_text(e["answer"], max_chars=max_chars) for e in batch]
    return score_one_at_a_time(classifiers, texts).essays_per_core_second


def _submit(
    runtime: Runtime,
    item_id: str,
    plan: LoadPlan,
    batch: list[dict[str, Any]],
    result: LoadResult,
    between: Callable[[], object],
) -> None:
    if plan.rate is None:
        for start in range(0, len(batch), SUBMIT_CHUNK):
            runtime.client.submit_many("bench", item_id, batch[start : start + SUBMIT_CHUNK])
            between()
        return
    began = time.monotonic()
    for n, essay in enumerate(batch):
        delay = began + n / plan.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            runtime.client.submit("bench", item_id, essay["student_id"], essay["answer"])
        except EssayGraderError as exc:
            result.submit_errors += 1
            if result.submit_errors <= 5:
                log.warning("submission %d refused: %s", n, exc)
        between()


class _MemorySampler:
    """Records the workers' and this process's resident memory every so often."""

    def __init__(self, fleet: WorkerFleet, result: LoadResult, started: float) -> None:
        self.fleet = fleet
        self.result = result
        self.started = started
        self.next_at = 0.0

    def sample(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + MEMORY_SAMPLE_SECONDS
        workers = self.fleet.resident_mb()
        own = _own_rss_mb()
        if workers is not None and own is not None:
            self.result.memory.append((now - self.started, workers, own))


def _own_rss_mb() -> float | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class _GradingProgress:
    """Tells whether every essay is graded, reporting the count now and then."""

    def __init__(self, runtime: Runtime, item_id: str, total: int, report: Callable[[str], None]):
        self.runtime = runtime
        self.item_id = item_id
        self.total = total
        self.report = report
        self.last_report = 0.0

    def finished(self) -> bool:
        # Two counts on the item's index: the full status report (queue lengths, ages,
        # workers) every second would take CPU from the workers being measured.
        record = GradingWorkflowRecord
        of_item = (record.course_id == "bench", record.item_id == self.item_id)
        with self.runtime.database.transaction(read_only=True) as session:
            complete = session.scalar(
                select(func.count()).where(*of_item, has_status(record, WorkflowStatus.COMPLETE))
            )
            failed = session.scalar(
                select(func.count()).where(*of_item, has_status(record, WorkflowStatus.FAILED))
            )
        done = (complete or 0) + (failed or 0)
        now = time.monotonic()
        if done >= self.total or now - self.last_report >= PROGRESS_SECONDS:
            self.last_report = now
            self.report(f"graded {complete}, failed {failed} of {self.total}")
        return done >= self.total


def _wait(condition: Callable[[], bool], timeout: float, what: str, fleet: WorkerFleet) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if fleet.exited():
            raise InternalError(
                f"worker(s) {fleet.exited()} stopped while waiting for {what}; see {fleet.log_dir}"
            )
        if time.monotonic() > deadline:
            raise InternalError(f"gave up waiting for {what} after {timeout:.0f}s")
        time.sleep(POLL_SECONDS)


def _measure(
    runtime: Runtime, item_id: str, result: LoadResult, before: CpuSample, after: CpuSample
) -> None:
    with runtime.database.transaction(read_only=True) as session:
        rows = session.execute(
            select(
                GradingWorkflowRecord.created_at,
                GradingWorkflowRecord.completed_at,
                GradingWorkflowRecord.failed_at,
            ).where(
                GradingWorkflowRecord.course_id == "bench",
                GradingWorkflowRecord.item_id == item_id,
            )
        ).all()
    done = [(created, completed) for created, completed, _ in rows if completed is not None]
    result.graded = len(done)
    result.failed = sum(1 for *_, failed in rows if failed is not None)
    result.latencies = sorted((c - s).total_seconds() for s, c in done)
    if done:
        first = min(row[0] for row in rows)
        last = max(completed for _, completed in done)
        result.drain_seconds = (last - first).total_seconds()
    elapsed = after.at - before.at
    if elapsed > 0 and after.workers is not None and before.workers is not None:
        result.worker_cores = (after.workers - before.workers) / elapsed
    if elapsed > 0 and after.machine_busy is not None and before.machine_busy is not None:
        result.machine_cores = (after.machine_busy - before.machine_busy) / elapsed


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted ``values``; 0 when there are none."""
    if not values:
        return 0.0
    rank = max(1, -(-len(values) * p // 100))
    return values[int(rank) - 1]


def format_result(result: LoadResult) -> str:
    """The report: the set-up, then the figures."""
    lines = ["essaygrader bench load"]
    lines += [f"  {name:<10} {value}" for name, value in result.header.items()]
    latencies = result.latencies
    lines += [
        "",
        f"  training   {result.training_seconds:.1f} s",
        f"  submitting {result.submit_seconds:.1f} s",
        f"  drain      {result.drain_seconds:.1f} s (first submission to last assessment)",
        f"  throughput {result.essays_per_second:.1f} essays/s "
        f"({result.graded} graded, {result.failed} failed, "
        f"{result.submit_errors} submissions refused)",
        "  latency    "
        + "  ".join(f"p{p} {percentile(latencies, p):.3f} s" for p in (50, 95, 99))
        + f"  max {max(latencies, default=0.0):.3f} s (submission to assessment)",
    ]
    if result.memory:
        first, last = result.memory[0], result.memory[-1]
        slopes = [result.memory_slope(column) for column in (1, 2)]
        shown = ["?" if s is None else f"{s:+.1f}" for s in slopes]
        lines.append(
            f"  memory     workers {first[1]:.0f} -> {last[1]:.0f} MB ({shown[0]} MB/h), "
            f"submitting process {first[2]:.0f} -> {last[2]:.0f} MB ({shown[1]} MB/h), "
            f"{len(result.memory)} samples over {last[0]:.0f} s"
        )
    if result.scoring_per_core is not None and result.scoring_ratio is not None:
        lines += [
            f"  scoring    {result.scoring_per_core:.1f} essays/s per core (the same "
            "classifiers on the same essays, one at a time, no database or broker)",
            f"  ratio      {result.scoring_ratio:.2f} (throughput / scoring per core)",
        ]
    if result.worker_cores is not None and result.machine_cores is not None:
        lines.append(
            f"  CPU        workers {result.worker_cores:.2f} cores, whole machine "
            f"{result.machine_cores:.2f} of {os.cpu_count()} cores busy, on average while "
            "grading"
        )
    return "\n".join(lines)
