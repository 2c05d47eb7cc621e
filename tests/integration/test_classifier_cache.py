"""A restarted worker grades from its machine's disk cache, without reading S3.

Requests are counted at the S3 server itself (moto's server behind a counting WSGI
middleware, see ``tests/moto_s3.py``), so every process's requests are seen, whatever
the client library does, and essaygrader needs no hook for the test.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from essaygrader.db.models import ClassifierRecord
from tests.factories import RUBRIC, examples
from tests.integration.conftest import wait_until
from tests.integration.flow import all_complete, submit

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("database_url", "storage_env"), [("sqlite", "s3")], indirect=True)
def test_a_restarted_worker_reads_cached_classifiers_from_disk(
    client_runtime, start_worker, s3_bucket
):
    api = client_runtime.client
    server = s3_bucket.server
    api.create_item("course-a", "item-1", RUBRIC)
    started = api.train_classifiers("course-a", "item-1", examples(30))
    worker = start_worker(concurrency=2)
    wait_until(
        lambda: api.is_training_workflow_complete(started["training_workflow_uuid"]),
        timeout=60,
        what="training",
        logs=worker.log,
    )
    first = submit(api, 0, 10)
    wait_until(lambda: all_complete(api, first), timeout=60, what="grading", logs=worker.log)
    worker.stop()
    with client_runtime.database.transaction(read_only=True) as session:
        keys = set(session.scalars(select(ClassifierRecord.sha256)))
    cache_dir = client_runtime.settings.resolved_disk_cache_dir
    assert {p.name for p in cache_dir.glob("??/??/*")} == keys

    mark = server.mark()
    restarted = start_worker(concurrency=2)
    second = submit(api, 10, 20)
    wait_until(lambda: all_complete(api, second), timeout=60, what="grading", logs=restarted.log)
    restarted.stop()
    assert s3_bucket.object_reads(mark) == [], server.requests_since(mark)

    # The same restart with the disk cache emptied reads each classifier from S3: the
    # count above is zero because of the cache, not because nothing was counted.
    shutil.rmtree(cache_dir)
    mark = server.mark()
    cold = start_worker(concurrency=2)
    third = submit(api, 30, 10)
    wait_until(lambda: all_complete(api, third), timeout=60, what="grading", logs=cold.log)
    reads = s3_bucket.object_reads(mark)
    assert {r.path.rsplit("/", 1)[1] for r in reads} == keys
    assert all(r.method == "GET" for r in reads)
    # At most once per classifier and pool process; the disk cache is shared.
    assert len(reads) <= 2 * len(keys)


@pytest.mark.parametrize(("database_url", "storage_env"), [("sqlite", "s3")], indirect=True)
def test_a_worker_refuses_to_start_on_a_bucket_that_does_not_exist(worker_env, start_worker):
    worker_env["ESSAYGRADER_STORAGE_URL"] = "s3://no-such-essaygrader-bucket/production"
    worker = start_worker(concurrency=1)
    assert worker.process.wait(timeout=60) == 1
    log = worker.log()
    assert "S3 bucket 'no-such-essaygrader-bucket' does not exist" in log
    assert "storage_url" in log
    assert worker_env["AWS_SECRET_ACCESS_KEY"] not in log
