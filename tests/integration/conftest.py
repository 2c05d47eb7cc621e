"""Real worker processes on real brokers (SQLite, Redis, RabbitMQ) and blob stores (a
local folder, or S3 served by moto on loopback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from essaygrader.config import Settings
from essaygrader.runtime import Runtime
from tests.conftest import AMQP_URL, REDIS_URL, require_service

SLOW_ALGORITHMS = (
    '{"slow-scoring": {"class": "essaygrader.algorithms.fake:FakeClassifier",'
    ' "params": {"score_delay": 1.5}},'
    ' "slow-training": {"class": "essaygrader.algorithms.fake:FakeClassifier",'
    ' "params": {"train_delay": 4}}}'
)


def _empty_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def _empty_rabbitmq() -> None:
    from kombu import Connection

    with Connection(AMQP_URL) as connection:
        for queue in ("training", "grading"):
            try:
                with connection.channel() as channel:
                    channel.queue_purge(queue)
            except Exception:  # noqa: S112 - a queue nobody declared yet has nothing to purge
                continue


@pytest.fixture
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        return f"sqla+sqlite:///{tmp_path / 'data' / 'broker.db'}"
    if kind == "redis":
        require_service("redis")
        _empty_redis()
        return REDIS_URL
    require_service("rabbitmq")
    _empty_rabbitmq()
    return AMQP_URL


@pytest.fixture
def storage_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings of the classifier store: the data dir's folder, or a fresh S3 bucket."""
    if getattr(request, "param", "local") == "local":
        return {}
    return dict(request.getfixturevalue("s3_bucket").env)


@pytest.fixture
def worker_env(
    tmp_path: Path, database_url: str, broker_url: str, storage_env: dict[str, str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSAYGRADER_")}
    env.update(storage_env)
    env.update(
        {
            "ESSAYGRADER_DATA_DIR": str(tmp_path / "data"),
            "ESSAYGRADER_DATABASE_URL": database_url,
            "ESSAYGRADER_BROKER_URL": broker_url,
            "ESSAYGRADER_DEFAULT_ALGORITHM": "fake",
            "ESSAYGRADER_ALGORITHMS": SLOW_ALGORITHMS,
            "ESSAYGRADER_WORKER_HEARTBEAT_SECONDS": "1",
            "ESSAYGRADER_SWEEP_INTERVAL_SECONDS": "1",
            "ESSAYGRADER_SWEEP_AGE_SECONDS": "4",
        }
    )
    return env


@pytest.fixture
def client_runtime(worker_env: dict[str, str]) -> Iterator[Runtime]:
    """The platform's side: the API in this process, sending tasks through the broker."""
    runtime = Runtime(Settings.load(worker_env))
    yield runtime
    runtime.close()


class WorkerProcess:
    """``essaygrader worker`` in its own process group, logging to a file."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        concurrency: int = 2,
        queues: str = "training,grading",
    ) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "essaygrader",
                "worker",
                "--concurrency",
                str(concurrency),
                "--queues",
                queues,
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, mid-task."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


@pytest.fixture
def start_worker(
    worker_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(**kwargs: Any) -> WorkerProcess:
        worker = WorkerProcess(worker_env, tmp_path / f"worker-{len(started)}.log", **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    logs: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{logs()}")
