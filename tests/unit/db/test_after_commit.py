"""Work registered with after_commit runs once the transaction commits, never on rollback;
every place that sends tasks sends through it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from essaygrader.api.queue import TaskQueue
from essaygrader.db.models import (
    GradingWorkflowRecord,
    TrainingWorkflowRecord,
    WorkerHeartbeatRecord,
)
from essaygrader.db.session import Database, after_commit
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import RequestError
from essaygrader.runtime import Runtime
from tests.factories import RUBRIC, essay, examples, sample_metrics, train_with_metrics


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def _workers(database):
    with database.transaction(read_only=True) as session:
        return set(session.scalars(select(WorkerHeartbeatRecord.name)))


def test_a_commit_runs_the_actions_after_it_in_order(database):
    seen = []
    with database.transaction() as session:
        session.add(WorkerHeartbeatRecord(name="w1", queues="grading"))
        after_commit(session, lambda: seen.append(("first", _workers(database))))
        after_commit(session, lambda: seen.append(("second", _workers(database))))
        assert seen == []
    # Each action saw the row committed: another transaction could read it.
    assert seen == [("first", {"w1"}), ("second", {"w1"})]


def test_a_rollback_runs_nothing_and_forgets_the_actions(database):
    seen = []

    def fail_before_the_commit() -> None:
        with database.transaction() as session:
            session.add(WorkerHeartbeatRecord(name="w1", queues="grading"))
            after_commit(session, lambda: seen.append("sent"))
            raise RuntimeError("something went wrong before the commit")

    with pytest.raises(RuntimeError):
        fail_before_the_commit()
    with database.transaction():
        pass
    assert seen == []
    assert _workers(database) == set()


def test_an_action_that_fails_does_not_fail_the_committed_work(database, caplog):
    seen = []
    with database.transaction() as session:
        session.add(WorkerHeartbeatRecord(name="w1", queues="grading"))
        after_commit(session, lambda: 1 / 0)
        after_commit(session, lambda: seen.append("still sent"))
    assert _workers(database) == {"w1"}
    assert seen == ["still sent"]
    assert "after-commit action failed" in caplog.text


class CheckingQueue(TaskQueue):
    """Records each task, and whether its workflows were committed when it was sent."""

    def __init__(self) -> None:
        super().__init__(grading_batch_size=2)
        self.database: Database | None = None
        self.sent: list[tuple[str, tuple[str, ...], bool]] = []
        self.accepting = True

    def send(self, task_type: TaskType, batches: Sequence[Sequence[str]]) -> int:
        if not self.accepting:
            raise ConnectionError("broker down")
        assert self.database is not None
        model = TrainingWorkflowRecord if task_type is TaskType.TRAIN else GradingWorkflowRecord
        for batch in batches:
            with self.database.transaction(read_only=True) as session:
                found = set(session.scalars(select(model.uuid).where(model.uuid.in_(batch))))
            self.sent.append((task_type.value, tuple(batch), found == set(batch)))
        return len(batches)

    def queue_lengths(self) -> dict[str, int | None]:
        return {}


@pytest.fixture
def checked(settings):
    queue = CheckingQueue()
    runtime = Runtime(settings, task_queue=queue)
    queue.database = runtime.database
    runtime.client.create_item("c", "i", RUBRIC)
    yield runtime, queue
    runtime.close()


def test_every_send_names_committed_workflows(checked):
    runtime, queue = checked
    api = runtime.client

    def uuids(results):
        return [r["grading_workflow_uuid"] for r in results]

    waiting = uuids(api.submit_many("c", "i", [{"student_id": "s0", "answer": essay(30)}]))
    assert queue.sent == []
    first = api.train_classifiers("c", "i", examples(30))["training_workflow_uuid"]
    train_with_metrics(runtime, "c", "i", sample_metrics())  # a second training, completed
    single = uuids([api.submit("c", "i", "s1", essay(30))])
    several = uuids(
        api.submit_many("c", "i", [{"student_id": f"s{n}", "answer": essay(30)} for n in (2, 3, 4)])
    )
    api.reschedule_unfinished_tasks("c", "i")
    assert all(committed for _, _, committed in queue.sent)
    sent = [(kind, list(batch)) for kind, batch, _ in queue.sent]
    second = sent[1][1][0]
    unfinished = waiting + single + several
    assert (
        sent
        == [
            ("train", [first]),
            ("train", [second]),
            ("grade", waiting),  # released when the second training completed
            ("grade", single),
            ("grade", several[:2]),
            ("grade", several[2:]),
            ("train", [first]),  # the reschedule: training first, then grading
            ("grade", unfinished[:2]),
            ("grade", unfinished[2:4]),
            ("grade", unfinished[4:]),
        ]
    )


def test_a_request_that_fails_sends_nothing(checked):
    runtime, queue = checked
    train_with_metrics(runtime, "c", "i", sample_metrics())
    queue.sent.clear()
    with pytest.raises(RequestError, match=r"submissions\[1\]\.answer"):
        runtime.client.submit_many(
            "c",
            "i",
            [{"student_id": "s1", "answer": essay(30)}, {"student_id": "s2", "answer": ""}],
        )
    assert queue.sent == []


def test_training_refused_by_its_quality_gate_releases_and_sends_nothing(checked):
    runtime, queue = checked
    runtime.client.update_item("c", "i", min_qwk=0.99)
    runtime.client.submit("c", "i", "s1", essay(30))
    queue.sent.clear()
    with pytest.raises(RequestError, match="quality gate"):
        train_with_metrics(runtime, "c", "i", sample_metrics(passed=False))
    assert [kind for kind, _, _ in queue.sent] == ["train"]  # the training task itself


def test_a_broker_down_after_the_commit_does_not_fail_the_request(checked):
    runtime, queue = checked
    train_with_metrics(runtime, "c", "i", sample_metrics())
    queue.accepting = False
    submitted = runtime.client.submit("c", "i", "s1", essay(30))
    assert submitted["status"] == "scheduled"
    assert runtime.client.get_grading_workflow(submitted["grading_workflow_uuid"])["status"] == (
        "scheduled"
    )
