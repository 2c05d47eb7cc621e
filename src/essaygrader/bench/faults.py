"""``essaygrader bench faults``: break things on purpose and check that nothing is lost.

Each fault runs against real ``essaygrader worker`` processes on one stack, the embedded
default (SQLite database and broker) or PostgreSQL with a private Redis server started
for the run (so that it can be stopped without touching anyone else's), and ends with
the same check: every submission of the round has a complete grading workflow
(``lost`` counts those that have not), and exactly one assessment (``duplicated``
counts those with more). ``recover`` is the time from the end of the fault (the kill,
the broker's return) to the round's last assessment.

Faults:

* ``kill-grading`` / ``kill-training``: SIGKILL a worker with its pool at a random point
  of a grading or training task, then start a new one.
* ``kill-grading-default-sweep``: ``kill-grading`` with the sweeper at its defaults
  (15-minute age, a sweep a minute, a heartbeat every 10 s), where the other faults
  sweep at 5 s: on the embedded broker only the dead worker's stale heartbeat can bring
  its essays back within the round's wait.
* ``pool-child``: SIGKILL one pool process of a worker, which lives on.
* ``broker-outage``: stop the broker during a 500-essay submit (Redis: the private
  server is stopped and started again; embedded: the broker file is held under an
  exclusive lock, so the broker hangs), then bring it back. The submit must not wait on
  the broker (the slowest batch of 50 is reported), and the sweeper's age is set far
  beyond the minute in which every essay must be graded after the broker's return.
* ``pg-terminate``: PostgreSQL only; ``pg_terminate_backend`` on every connection of the
  workers, three times at random points of grading.
* ``blob-tamper``: a stored classifier is altered: every essay's grading fails on the
  integrity check, none is scored by the altered model; the blob is restored (as from a
  backup) and the item rescheduled, which grades every essay.
* ``duplicate-delivery``: every grading task is delivered five times to four pool
  processes at once.
* ``s3-outage``: classifiers on S3 (moto's server, started for the round, without the
  disk cache); the server is frozen (SIGSTOP) for 6 seconds while training stores its
  classifiers and again while graders load them, then thawed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from essaygrader.bench import workload
from essaygrader.bench.workers import WorkerFleet
from essaygrader.config import ENV_PREFIX, Settings
from essaygrader.db.models import (
    AssessmentRecord,
    ClassifierRecord,
    ClassifierSetRecord,
    GradingWorkflowRecord,
    SubmissionRecord,
    utcnow,
)
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import InternalError
from essaygrader.runtime import Runtime

STACKS = ("embedded", "postgres-redis")
FAULTS = (
    "kill-grading",
    "kill-training",
    "kill-grading-default-sweep",
    "pool-child",
    "broker-outage",
    "pg-terminate",
    "blob-tamper",
    "duplicate-delivery",
    "s3-outage",
)
COURSE = "faults"
SLOW_ALGORITHMS = (
    '{"slow-scoring": {"class": "essaygrader.algorithms.fake:FakeClassifier",'
    ' "params": {"score_delay": 0.15}},'
    ' "slow-training": {"class": "essaygrader.algorithms.fake:FakeClassifier",'
    ' "params": {"train_delay": 3}}}'
)
# Long enough that only the outbox, not the sweeper, can regrade within the minute.
OUTAGE_SWEEP_AGE = 600.0
WAIT_SECONDS = 180.0
# The sweeper's settings as shipped (the stack's are 5 s and 1 s, to keep rounds short).
DEFAULT_SWEEP = {
    name.upper(): str(getattr(Settings, name))
    for name in ("sweep_age_seconds", "sweep_interval_seconds", "worker_heartbeat_seconds")
}


@dataclass
class RoundResult:
    """One round of one fault."""

    fault: str
    stack: str
    submissions: int = 0
    lost: int = 0
    duplicated: int = 0
    recover_seconds: float | None = None
    # Broker outage: the slowest submit call of 50 essays while the broker was down.
    slowest_submit_seconds: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


class Broker:
    """The stack's broker, which a fault can stop and start."""

    url = ""

    def stop(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the broker holds at the end of the run."""


class EmbeddedBroker(Broker):
    """The SQLite broker file; "stopped" means held under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqla+sqlite:///{path}"
        self._lock: sqlite3.Connection | None = None

    def stop(self) -> None:
        self._lock = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._lock.execute("BEGIN EXCLUSIVE")

    def start(self) -> None:
        if self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None

    def close(self) -> None:
        self.start()


class PrivateRedis(Broker):
    """A ``redis-server`` of this run on a free loopback port, with an append-only file so
    that what it held survives a stop."""

    def __init__(self, directory: Path) -> None:
        found = shutil.which("redis-server")
        if found is None:
            raise InternalError("the postgres-redis stack needs redis-server on the PATH")
        self.command = found
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.command,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def close(self) -> None:
        self.stop()


@dataclass
class Stack:
    """Database, broker and data folder of a run, and the environment of its workers."""

    name: str
    data_dir: Path
    database_url: str
    broker: Broker

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        settings = {
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "BROKER_URL": self.broker.url,
            "DEFAULT_ALGORITHM": "fake",
            "ALGORITHMS": SLOW_ALGORITHMS,
            "WORKER_HEARTBEAT_SECONDS": "1",
            "SWEEP_INTERVAL_SECONDS": "1",
            "SWEEP_AGE_SECONDS": "5",
            "GRADING_BATCH_SIZE": "4",
        }
        settings.update(overrides)
        env.update({f"{ENV_PREFIX}{k}": v for k, v in settings.items()})
        return env


@contextmanager
def open_stack(name: str, database_url: str = "") -> Iterator[Stack]:
    """A scratch stack for the run, removed afterwards.

    Args:
        database_url: postgres-redis: a scratch PostgreSQL database; its tables are
            emptied first.

    Raises:
        InternalError: ``configuration_error``; an unknown stack, or no database for
            postgres-redis.
    """
    if name not in STACKS:
        raise InternalError(f"unknown stack {name!r}", field="stack", code="configuration_error")
    data_dir = Path(tempfile.mkdtemp(prefix="essaygrader-faults-"))
    broker: Broker
    try:
        if name == "embedded":
            broker = EmbeddedBroker(data_dir / "broker.db")
            url = f"sqlite:///{data_dir / 'essaygrader.db'}"
        else:
            if not database_url.startswith("postgresql"):
                raise InternalError(
                    "the postgres-redis stack needs --database-url of a scratch PostgreSQL "
                    "database",
                    field="database_url",
                    code="configuration_error",
                )
            broker = PrivateRedis(data_dir / "redis")
            url = database_url
        try:
            stack = Stack(name, data_dir, url, broker)
            runtime = Runtime(Settings.load(stack.env()))
            runtime.database.migrate()
            runtime.close()
            yield stack
        finally:
            broker.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


class Round:
    """One fault's round: its item, its workers, and the client side in this process."""

    def __init__(self, stack: Stack, fault: str, number: int, **settings: str) -> None:
        self.stack = stack
        self.env = stack.env(**settings)
        self.runtime = Runtime(Settings.load(self.env))
        self.item = f"{fault}-{number}-{int(time.time() * 1000)}"
        self.result = RoundResult(fault, stack.name)
        self.fleets: list[WorkerFleet] = []
        self.submitted: list[str] = []
        self.s3: MotoS3 | None = None

    @property
    def api(self) -> Any:
        return self.runtime.client

    def workers(self, count: int = 1, concurrency: int = 2) -> WorkerFleet:
        logs = self.stack.data_dir / "logs" / self.item / str(len(self.fleets))
        fleet = WorkerFleet(self.env, logs, count, concurrency)
        fleet.start()
        self.fleets.append(fleet)
        return fleet

    def create_item(self, algorithm: str = "fake") -> None:
        self.api.create_item(COURSE, self.item, workload.RUBRIC, algorithm_id=algorithm)

    def train(self, examples: int = 30) -> str:
        started = self.api.train_classifiers(
            COURSE, self.item, workload.training_examples(examples)
        )
        return str(started["training_workflow_uuid"])

    def wait_trained(self, uuid: str) -> None:
        self.wait(lambda: self.api.is_training_workflow_complete(uuid), "training")

    def submit(self, count: int) -> list[str]:
        first = len(self.submitted)
        essays = workload.essays(first + count)[first:]
        done = self.api.submit_many(COURSE, self.item, essays)
        uuids = [s["grading_workflow_uuid"] for s in done]
        self.submitted += uuids
        return uuids

    def grading_under_way(self, essays: int = 24) -> WorkerFleet:
        """A slowly scoring item, trained, with ``essays`` submitted and grading begun:
        where the faults that strike during grading strike. Returns the worker fleet."""
        self.create_item("slow-scoring")
        fleet = self.workers()
        self.wait_trained(self.train())
        self.submit(essays)
        self.wait(lambda: self.attempts_started() > 0, "grading to start")
        return fleet

    def attempts_started(self) -> int:
        with self.runtime.database.transaction(read_only=True) as session:
            return int(
                session.scalar(
                    select(func.count()).where(
                        GradingWorkflowRecord.item_id == self.item,
                        GradingWorkflowRecord.attempts >= 1,
                    )
                )
                or 0
            )

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.25)
        self.result.notes.append(f"timed out waiting for {what}")
        return False

    def settled(self) -> bool:
        with self.runtime.database.transaction(read_only=True) as session:
            open_count = session.scalar(
                select(func.count()).where(
                    GradingWorkflowRecord.item_id == self.item,
                    GradingWorkflowRecord.completed_at.is_(None),
                    GradingWorkflowRecord.failed_at.is_(None),
                )
            )
        return not open_count

    def check(self, since: datetime) -> RoundResult:
        """Wait for every workflow to end, then count what was lost and duplicated."""
        self.wait(self.all_complete, "every essay graded")
        record = GradingWorkflowRecord
        with self.runtime.database.transaction(read_only=True) as session:
            submissions = list(
                session.scalars(
                    select(SubmissionRecord.uuid).where(
                        SubmissionRecord.course_id == COURSE, SubmissionRecord.item_id == self.item
                    )
                )
            )
            complete = set(
                session.scalars(
                    select(record.submission_uuid).where(
                        record.item_id == self.item, record.completed_at.is_not(None)
                    )
                )
            )
            assessments = dict(
                session.execute(
                    select(AssessmentRecord.submission_uuid, func.count())
                    .where(AssessmentRecord.submission_uuid.in_(submissions))
                    .group_by(AssessmentRecord.submission_uuid)
                ).all()
            )
            last = session.scalar(
                select(func.max(record.completed_at)).where(record.item_id == self.item)
            )
        result = self.result
        result.submissions = len(submissions)
        result.lost = sum(
            1 for s in submissions if s not in complete or assessments.get(s, 0) == 0
        ) + max(0, len(self.submitted) - len(submissions))
        result.duplicated = sum(1 for s in submissions if assessments.get(s, 0) > 1)
        if last is not None and result.lost == 0:
            result.recover_seconds = max(0.0, (last - since).total_seconds())
        return result

    def all_complete(self) -> bool:
        statuses = self.api.get_workflow_statuses(self.submitted)
        return len(statuses) == len(self.submitted) and set(statuses.values()) == {"complete"}

    def close(self) -> None:
        for fleet in self.fleets:
            fleet.stop(timeout=30)
        self.runtime.close()


def kill_grading(round_: Round, rng: random.Random) -> datetime:
    first = round_.grading_under_way()
    time.sleep(rng.uniform(0.0, 2.0))
    first.kill()
    killed = utcnow()
    round_.workers()
    return killed


def kill_training(round_: Round, rng: random.Random) -> datetime:
    round_.create_item("slow-training")
    round_.submit(8)  # waiting for classifiers
    uuid = round_.train()
    first = round_.workers()
    round_.wait(
        lambda: round_.api.get_training_workflow(uuid)["attempts"] >= 1, "training to start"
    )
    time.sleep(rng.uniform(0.0, 2.5))
    first.kill()
    killed = utcnow()
    round_.workers()
    round_.wait_trained(uuid)
    return killed


def pool_child(round_: Round, rng: random.Random) -> datetime:
    fleet = round_.grading_under_way()
    time.sleep(rng.uniform(0.0, 1.5))
    children = fleet.pool_processes()
    if not children:
        round_.result.notes.append("no pool process found")
        return utcnow()
    os.kill(rng.choice(children), signal.SIGKILL)
    return utcnow()


def broker_outage(round_: Round, rng: random.Random) -> datetime:
    round_.create_item("fake")
    round_.workers()
    round_.wait_trained(round_.train())
    broker = round_.stack.broker
    slowest = 0.0
    stop_after = rng.randint(1, 3)
    for batch in range(10):
        if batch == stop_after:
            broker.stop()
        started = time.monotonic()
        round_.submit(50)
        if batch >= stop_after:
            slowest = max(slowest, time.monotonic() - started)
    round_.result.slowest_submit_seconds = slowest
    time.sleep(5)  # the broker stays away a while after the submit
    broker.start()
    return utcnow()


def pg_terminate(round_: Round, rng: random.Random) -> datetime:
    if round_.runtime.database.dialect != "postgresql":
        round_.result.notes.append("skipped: needs PostgreSQL")
        return utcnow()
    round_.grading_under_way()
    for _ in range(3):
        time.sleep(rng.uniform(0.2, 1.5))
        with round_.runtime.database.engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = "
                    "'essaygrader-worker' AND pid <> pg_backend_pid()"
                )
            )
    return utcnow()


def blob_tamper(round_: Round, rng: random.Random) -> datetime:
    round_.create_item("fake")
    trainer = round_.workers()
    round_.wait_trained(round_.train())
    trainer.stop(timeout=30)  # no process remembers the classifiers it wrote
    with round_.runtime.database.transaction(read_only=True) as session:
        keys = list(
            session.scalars(
                select(ClassifierRecord.blob_key)
                .join(
                    ClassifierSetRecord,
                    ClassifierSetRecord.uuid == ClassifierRecord.classifier_set_uuid,
                )
                .where(ClassifierSetRecord.item_id == round_.item)
            )
        )
    path = round_.runtime.blobs.path(rng.choice(keys))  # type: ignore[attr-defined]
    original = path.read_bytes()
    data = bytearray(original)
    data[rng.randrange(len(data))] ^= 0x20
    path.write_bytes(bytes(data))
    round_.workers()
    round_.submit(12)
    round_.wait(round_.settled, "grading to fail")
    statuses = round_.api.get_workflow_statuses(round_.submitted)
    failed = sum(1 for status in statuses.values() if status == "failed")
    round_.result.notes.append(f"{failed} of 12 failed on the altered blob")
    # What an operator does: restore the blob from a backup, and reschedule. (Retraining
    # would not help these essays: a workflow keeps the classifier set it was given.)
    path.write_bytes(original)
    restored = utcnow()
    round_.api.reschedule_unfinished_tasks(COURSE, round_.item)
    return restored


def duplicate_delivery(round_: Round, rng: random.Random) -> datetime:
    round_.create_item("slow-scoring")
    round_.workers(count=2, concurrency=2)
    round_.wait_trained(round_.train())
    uuids = round_.submit(24)
    queue = round_.runtime.task_queue
    batches = queue.batches(TaskType.GRADE, uuids)
    copies = [batch for batch in batches for _ in range(4)]
    rng.shuffle(copies)
    queue.send(TaskType.GRADE, copies)
    return utcnow()


class MotoS3:
    """moto's S3 server in a process of its own, which a fault can freeze and thaw."""

    def __init__(self) -> None:
        command = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
        if not Path(command).exists():
            raise InternalError(
                "the s3-outage fault needs moto's server: pip install 'moto[server]'"
            )
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [command, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        self.env = {
            "AWS_ACCESS_KEY_ID": "AKIAESSAYGRADERFAULTS",
            "AWS_SECRET_ACCESS_KEY": "essaygrader-faults",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        import boto3

        boto3.session.Session(
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        ).client("s3", endpoint_url=self.endpoint).create_bucket(Bucket="faults")
        self.settings = {
            "STORAGE_URL": "s3://faults/classifiers",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": "us-east-1",
            "S3_TIMEOUT_SECONDS": "2",
            "S3_MAX_ATTEMPTS": "2",
            "CLASSIFIER_DISK_CACHE_MB": "0",
        }

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.thaw()
        self.process.terminate()
        self.process.wait(timeout=30)


def s3_outage(round_: Round, rng: random.Random) -> datetime:
    s3 = round_.s3
    assert s3 is not None
    round_.create_item("slow-training")
    round_.workers()
    uuid = round_.train()
    round_.wait(
        lambda: round_.api.get_training_workflow(uuid)["attempts"] >= 1, "training to start"
    )
    time.sleep(rng.uniform(0.0, 2.0))
    s3.freeze()
    time.sleep(6)
    s3.thaw()
    round_.wait_trained(uuid)
    s3.freeze()
    round_.submit(24)
    time.sleep(6)
    s3.thaw()
    return utcnow()


SCENARIOS: dict[str, tuple[Callable[[Round, random.Random], datetime], dict[str, str]]] = {
    "kill-grading": (kill_grading, {}),
    "kill-training": (kill_training, {}),
    "kill-grading-default-sweep": (kill_grading, DEFAULT_SWEEP),
    "pool-child": (pool_child, {}),
    "broker-outage": (broker_outage, {"SWEEP_AGE_SECONDS": str(OUTAGE_SWEEP_AGE)}),
    "pg-terminate": (pg_terminate, {}),
    "blob-tamper": (blob_tamper, {}),
    "duplicate-delivery": (duplicate_delivery, {}),
    "s3-outage": (s3_outage, {}),
}


def run_fault(stack: Stack, fault: str, number: int = 0, seed: int | None = None) -> RoundResult:
    """Run one round of ``fault`` on ``stack`` and check its end state.

    Raises:
        InternalError: ``configuration_error``; an unknown fault.
    """
    if fault not in SCENARIOS:
        raise InternalError(f"unknown fault {fault!r}", field="faults", code="configuration_error")
    scenario, settings = SCENARIOS[fault]
    rng = random.Random(seed)
    s3 = MotoS3() if fault == "s3-outage" else None
    if s3 is not None:
        settings = {**settings, **s3.settings}
    round_ = Round(stack, fault, number, **settings)
    if s3 is not None:
        round_.env.update(s3.env)
        round_.s3 = s3
    try:
        since = scenario(round_, rng)
        if any(note.startswith("skipped") for note in round_.result.notes):
            return round_.result
        return round_.check(since)
    finally:
        round_.close()
        if s3 is not None:
            s3.close()


@dataclass
class FaultSummary:
    """The rounds of one fault on one stack."""

    fault: str
    stack: str
    rounds: list[RoundResult]

    def row(self) -> list[str]:
        recovered = [r.recover_seconds for r in self.rounds if r.recover_seconds is not None]
        slowest = [r.slowest_submit_seconds for r in self.rounds if r.slowest_submit_seconds]
        return [
            self.fault,
            self.stack,
            str(len(self.rounds)),
            str(sum(r.submissions for r in self.rounds)),
            str(sum(r.lost for r in self.rounds)),
            str(sum(r.duplicated for r in self.rounds)),
            f"{max(recovered):.1f}" if recovered else "-",
            f"{sum(recovered) / len(recovered):.1f}" if recovered else "-",
            f"{max(slowest):.2f}" if slowest else "-",
        ]


HEADER = [
    "fault",
    "stack",
    "rounds",
    "essays",
    "workflows lost",
    "duplicated current",
    "recover max s",
    "recover mean s",
    "slowest submit s",
]


def format_summaries(summaries: list[FaultSummary]) -> str:
    """A Markdown table, one row per fault and stack."""
    rows = [HEADER, ["---"] * len(HEADER), *(s.row() for s in summaries)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise InternalError(f"nothing answers on 127.0.0.1:{port} after {seconds:.0f} s")
