"""Fixtures shared by the whole suite.

Every test that uses a database runs twice: on SQLite and on PostgreSQL. Tests that need
a service (PostgreSQL, Redis, RabbitMQ) skip with the reason where it is absent, and
fail instead where ``ESSAYGRADER_REQUIRE_SERVICES=1`` says it must be there (CI).
"""

from __future__ import annotations

import gc
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from essaygrader.config import Settings
from essaygrader.db.models import Base
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from tests.factories import RUBRIC

REQUIRE_SERVICES = os.environ.get("ESSAYGRADER_REQUIRE_SERVICES") == "1"
POSTGRES_ADMIN_URL = os.environ.get(
    "ESSAYGRADER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ESSAYGRADER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("ESSAYGRADER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
SERVICES = {
    "postgresql": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
    "rabbitmq": ("127.0.0.1", 5672),
}


# Tests that share a service's state (the Redis database they flush, the RabbitMQ queues
# they purge, real worker processes on one broker) run one after another in one
# process, beside the rest of the suite spread over the others (pytest-xdist, ``-n``).
# They live under these paths; collection refuses such a test anywhere else.
SHARED_SERVICE_MARKERS = ("integration", "redis", "rabbitmq")
SHARED_SERVICE_PATHS = (
    "tests/integration/",
    "tests/faults/",
    "tests/unit/queues/test_celery_app.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Keep the tests under :data:`SHARED_SERVICE_PATHS` together in one process."""
    from xdist.scheduler import LoadScopeScheduling

    class ServicesTogether(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return "services" if nodeid.startswith(SHARED_SERVICE_PATHS) else nodeid

    return ServicesTogether(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL half of every database test, so the fast tier can leave it out;
    refuse a test that uses a shared service outside the paths kept together."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in str(callspec.params.get("database_url", "")):
            item.add_marker(pytest.mark.postgres)
        shared = [name for name in SHARED_SERVICE_MARKERS if item.get_closest_marker(name)]
        if shared and not item.nodeid.startswith(SHARED_SERVICE_PATHS):
            raise pytest.UsageError(
                f"{item.nodeid} is marked {shared[0]}: move it under one of "
                f"{', '.join(SHARED_SERVICE_PATHS)} (tests/conftest.py), which run in one process"
            )


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave the objects the run made to the operating system at exit.

    After a full run the interpreter's last garbage collection walked every object the
    tests left behind (models, engines, test clients) and ran their finalisers, minutes
    after the results were printed. Frozen objects are not collected again.
    """
    gc.freeze()


def service_up(name: str) -> bool:
    try:
        with socket.create_connection(SERVICES[name], timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str) -> None:
    """Skip (on a laptop) or fail (in CI) when a service is not reachable."""
    if service_up(name):
        return
    host, port = SERVICES[name]
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and ESSAYGRADER_REQUIRE_SERVICES=1 says it must be")
    pytest.skip(f"{message}; start it to run this test")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database made for this test run, dropped at the end."""
    require_service("postgresql")
    name = f"essaygrader_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, empty database: a new SQLite file, or the run's PostgreSQL database
    emptied before the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'essaygrader.db'}"
        return
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        present = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        tables = [t.name for t in Base.metadata.sorted_tables if t.name in present]
        if tables:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        default_algorithm="fake",
        sweep_age_seconds=60,
    )


@pytest.fixture
def task_queue() -> InProcessTaskQueue:
    return InProcessTaskQueue()


@pytest.fixture
def runtime(settings: Settings, task_queue: InProcessTaskQueue) -> Iterator[Runtime]:
    runtime = Runtime(settings, task_queue=task_queue)
    yield runtime
    runtime.close()


@pytest.fixture
def api(runtime: Runtime) -> Any:
    return runtime.client


@pytest.fixture
def item(api: Any) -> dict[str, Any]:
    """A draft item with the three-criterion test rubric (one feedback-only)."""
    return api.create_item("course-a", "item-1", RUBRIC, prompt="Write about gardens.")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """moto's S3 server mode on a loopback port, shared by the run (see tests/moto_s3.py)."""
    try:
        from tests.moto_s3 import S3Server

        server = S3Server()
    except ImportError as exc:
        message = f"moto's S3 server is not installed ({exc}); pip install -e '.[test]'"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message}, and ESSAYGRADER_REQUIRE_SERVICES=1 says it must be")
        pytest.skip(message)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A new, empty bucket; this process's AWS variables point at the test server."""
    from tests.moto_s3 import new_bucket

    s3_server.fail_next(0)
    for name in list(os.environ):
        if name.startswith("AWS_") and name != "AWS_CA_BUNDLE":
            monkeypatch.delenv(name)
    bucket = new_bucket(s3_server)
    for name, value in bucket.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return bucket


def row_counts(runtime: Runtime) -> dict[str, int]:
    """Rows per table, to show that a failed request left nothing behind."""
    with runtime.database.transaction(read_only=True) as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }
