"""Idempotency keys on submit, batch submit and training: a retry with the same key gets
the first result and stores nothing; the same key with another request is refused by
name; the key is stored in the transaction of what the request created."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from essaygrader.api import idempotency as idempotency_module
from essaygrader.api.idempotency import purge_keys
from essaygrader.db.models import IdempotencyKeyRecord, utcnow
from essaygrader.errors import RequestError
from tests.conftest import row_counts
from tests.factories import essay, examples


def batch(count=3, seed=0):
    return [{"student_id": f"s{i}", "text": essay(30, seed + i)} for i in range(count)]


def test_a_retried_submit_is_stored_once(api, runtime, item, task_queue):
    first = api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="k-1")
    after_first = row_counts(runtime)
    again = api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="k-1")
    assert again == first
    assert row_counts(runtime) == after_first
    # Without a key, or with another one, the same essay is a new submission.
    other = api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="k-2")
    assert other["submission_uuid"] != first["submission_uuid"]
    task_queue.join()
    # The original answer comes back even after grading moved on.
    later = api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="k-1")
    assert later == first


def test_a_retried_batch_and_training_are_stored_once(api, runtime, item, task_queue):
    essays = batch()
    first = api.submit_many("course-a", "item-1", essays, idempotency_key="b-1")
    started = api.train_classifiers("course-a", "item-1", examples(30), idempotency_key="t-1")
    task_queue.join()
    counts = row_counts(runtime)
    assert api.submit_many("course-a", "item-1", essays, idempotency_key="b-1") == first
    assert (
        api.train_classifiers("course-a", "item-1", examples(30), idempotency_key="t-1") == started
    )
    assert task_queue.pending == type(task_queue.pending)()  # nothing sent again
    assert row_counts(runtime) == counts


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Another essay, another student, another batch, other examples.
        (
            lambda api, k: api.submit(
                "course-a", "item-1", "s1", text=essay(30), idempotency_key=k
            ),
            lambda api, k: api.submit(
                "course-a", "item-1", "s1", text=essay(31), idempotency_key=k
            ),
        ),
        (
            lambda api, k: api.submit(
                "course-a", "item-1", "s1", text=essay(30), idempotency_key=k
            ),
            lambda api, k: api.submit(
                "course-a", "item-1", "s2", text=essay(30), idempotency_key=k
            ),
        ),
        (
            lambda api, k: api.submit_many("course-a", "item-1", batch(2), idempotency_key=k),
            lambda api, k: api.submit_many("course-a", "item-1", batch(3), idempotency_key=k),
        ),
        (
            lambda api, k: api.train_classifiers(
                "course-a", "item-1", examples(30), idempotency_key=k
            ),
            lambda api, k: api.train_classifiers(
                "course-a", "item-1", examples(31), idempotency_key=k
            ),
        ),
    ],
)
def test_the_same_key_with_another_request_is_refused_by_name(api, runtime, item, first, second):
    first(api, "k")
    before = row_counts(runtime)
    with pytest.raises(RequestError) as raised:
        second(api, "k")
    assert (raised.value.code, raised.value.field) == ("idempotency_key_reused", "Idempotency-Key")
    assert row_counts(runtime) == before


def test_keys_are_per_owner_and_per_operation(api, runtime, item):
    mine = api.submit(
        "course-a", "item-1", "s1", text=essay(30), idempotency_key="k", idempotency_owner="tok-a"
    )
    theirs = api.submit(
        "course-a", "item-1", "s1", text=essay(30), idempotency_key="k", idempotency_owner="tok-b"
    )
    assert mine != theirs
    # Another operation with the same key is another request, not a replay.
    many = api.submit_many(
        "course-a", "item-1", batch(1), idempotency_key="k", idempotency_owner="tok-a"
    )
    assert many[0]["submission_uuid"] != mine["submission_uuid"]


def test_another_item_with_the_same_key_is_refused(api, runtime, item):
    api.create_item("course-a", "item-2", item["rubric"])
    api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="k")
    with pytest.raises(RequestError) as raised:
        api.submit("course-a", "item-2", "s1", text=essay(30), idempotency_key="k")
    assert raised.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 256, "tab\there"])
def test_malformed_keys_are_refused(api, runtime, item, key):
    before = row_counts(runtime)
    with pytest.raises(RequestError) as raised:
        api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key=key)
    assert (raised.value.code, raised.value.field) == ("idempotency_key_invalid", "Idempotency-Key")
    assert row_counts(runtime) == before


def test_a_failed_request_stores_neither_its_records_nor_its_key(api, runtime, item, monkeypatch):
    # The key's response is written last in the transaction: a crash there (or anywhere
    # before commit) must leave no submission without its key, nor the reverse.
    before = row_counts(runtime)

    def crash(self, session, response):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(idempotency_module.Idempotency, "record", crash)
    with pytest.raises(RuntimeError):
        api.submit_many("course-a", "item-1", batch(), idempotency_key="k")
    assert row_counts(runtime) == before
    monkeypatch.undo()
    stored = api.submit_many("course-a", "item-1", batch(), idempotency_key="k")
    assert len(stored) == 3
    with runtime.database.transaction(read_only=True) as session:
        record = session.scalar(select(IdempotencyKeyRecord))
        assert record.response == stored


def test_concurrent_retries_store_once(api, runtime, item):
    results: list = []
    errors: list = []
    barrier = threading.Barrier(4)

    def send():
        barrier.wait()
        try:
            results.append(api.submit_many("course-a", "item-1", batch(5), idempotency_key="race"))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(r == results[0] for r in results)
    assert row_counts(runtime)["submissions"] == 5


def test_keys_are_kept_a_day_then_purged(api, runtime, item):
    api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="old")
    api.submit("course-a", "item-1", "s1", text=essay(30), idempotency_key="new")
    with runtime.database.transaction() as session:
        session.execute(
            update(IdempotencyKeyRecord)
            .where(IdempotencyKeyRecord.key == "old")
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    with runtime.database.transaction() as session:
        assert purge_keys(session, utcnow() - timedelta(hours=24)) == 1
    with runtime.database.transaction(read_only=True) as session:
        assert list(session.scalars(select(IdempotencyKeyRecord.key))) == ["new"]
