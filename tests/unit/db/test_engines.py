"""Database engines across fork, and connection pools sized per kind of process."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from essaygrader.config import Settings
from essaygrader.runtime import Runtime

pytestmark = pytest.mark.postgres

BACKEND_PID = text("SELECT pg_backend_pid()")


def test_a_forked_worker_process_opens_its_own_connections(postgres_database, tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, database_url=postgres_database), role="worker")
    with runtime.database.transaction(read_only=True) as session:
        parent = session.scalar(BACKEND_PID)
    read_end, write_end = os.pipe()
    child_pid = os.fork()
    if child_pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            runtime.after_fork()  # what worker_process_init calls in each pool process
            with runtime.database.transaction(read_only=True) as session:
                os.write(write_end, str(session.scalar(BACKEND_PID)).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    _, status = os.waitpid(child_pid, 0)
    child = int(os.read(read_end, 64).decode() or 0)
    os.close(read_end)
    assert status == 0
    assert child not in (0, parent)
    # The parent's pooled connection was left alone, not closed under it by the child.
    with runtime.database.transaction(read_only=True) as session:
        assert session.scalar(BACKEND_PID) == parent
    runtime.close()


def test_pools_are_sized_per_kind_of_process(postgres_database, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url=postgres_database,
        database_pool_size=7,
        database_max_overflow=3,
        worker_database_pool_size=2,
    )
    api, worker = Runtime(settings), Runtime(settings, role="worker")
    assert (api.database.engine.pool.size(), api.database.engine.pool._max_overflow) == (7, 3)
    assert (worker.database.engine.pool.size(), worker.database.engine.pool._max_overflow) == (2, 0)
    with worker.database.transaction(read_only=True) as session:
        name = session.scalar(text("SHOW application_name"))
    assert name == "essaygrader-worker"
    api.close()
    worker.close()
