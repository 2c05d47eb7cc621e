"""The fault suite, short: each fault once, on real worker processes, on the embedded
default and on PostgreSQL with a Redis broker of its own; every round must end with
every submission graded exactly once. ``essaygrader bench faults --rounds N`` runs more
rounds of the same scenarios (``src/essaygrader/bench/faults.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from essaygrader.bench.faults import RoundResult, Stack, open_stack, run_fault
from tests.conftest import REQUIRE_SERVICES

pytestmark = pytest.mark.integration

# Whole workers killed mid-grading and mid-training, on every broker and on PostgreSQL,
# are tests/integration/test_workers.py's; CI time is spent once. Here one is killed
# with the sweeper at its shipped settings: nothing lost within the round's 3-minute
# wait means the embedded broker's essays came back by the dead worker's stale
# heartbeat, not by the 15-minute age.
EMBEDDED = [
    "kill-grading-default-sweep",
    "pool-child",
    "broker-outage",
    "blob-tamper",
    "duplicate-delivery",
]
POSTGRES_REDIS = ["broker-outage", "pg-terminate"]


@pytest.fixture(scope="module")
def embedded() -> Iterator[Stack]:
    with open_stack("embedded") as stack:
        yield stack


@pytest.fixture(scope="module")
def postgres_redis(postgres_database: str) -> Iterator[Stack]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not on the PATH; the fault suite runs a private one"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    with open_stack("postgres-redis", postgres_database) as stack:
        yield stack


def _check(result: RoundResult) -> None:
    assert result.submissions > 0, result.notes
    assert (result.lost, result.duplicated) == (0, 0), result.notes
    if result.fault == "broker-outage":
        # The submit never waited on the broker: the embedded one hangs each send for
        # 30 s, Redis refuses; a batch of 50 answers far under a second on a quiet machine.
        assert result.slowest_submit_seconds is not None
        assert result.slowest_submit_seconds < 5
        # Graded within a minute of the broker's return, with the sweeper's age at 10 min.
        assert result.recover_seconds is not None
        assert result.recover_seconds < 60
    if result.fault == "blob-tamper":
        assert "12 of 12 failed on the altered blob" in result.notes


@pytest.mark.parametrize("fault", EMBEDDED)
def test_embedded(embedded: Stack, fault: str) -> None:
    _check(run_fault(embedded, fault, seed=1))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("fault", POSTGRES_REDIS)
def test_postgres_redis(postgres_redis: Stack, fault: str) -> None:
    _check(run_fault(postgres_redis, fault, seed=1))
