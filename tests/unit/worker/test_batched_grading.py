"""Grading tasks that name many workflows: batches, each workflow still on its own."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from essaygrader.algorithms.base import FeatureCache, Score
from essaygrader.algorithms.fake import FakeClassifier
from essaygrader.algorithms.registry import AlgorithmSpec
from essaygrader.db.models import AssessmentRecord, GradingWorkflowRecord
from essaygrader.errors import InternalError
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime
from essaygrader.worker.grading import grade_essays
from essaygrader.worker.params import CriterionScore, GradingResult
from tests.factories import RUBRIC, essay, examples

POISON = "Unreadable"
GREEDY = "Overreaching"


class PickyClassifier(FakeClassifier):
    """The fake algorithm, except that it cannot read essays starting with ``POISON``
    and gives essays starting with ``GREEDY`` points no criterion allows."""

    def predict(self, texts: Sequence[str], *, cache: FeatureCache | None = None) -> list[Score]:
        if any(text.startswith(POISON) for text in texts):
            raise ValueError("cannot read this essay")
        scores = super().predict(texts, cache=cache)
        return [
            Score(99, s.confidence) if text.startswith(GREEDY) else s
            for text, s in zip(texts, scores, strict=True)
        ]


PICKY = {"fake": AlgorithmSpec(f"{__name__}:PickyClassifier")}


@pytest.fixture
def make_runtime():
    made = []

    def make(settings, **kwargs):
        made.append(Runtime(settings, task_queue=InProcessTaskQueue(), **kwargs))
        return made[-1]

    yield make
    for runtime in made:
        runtime.close()


def _trained(runtime):
    runtime.client.create_item("c", "i", RUBRIC)
    runtime.client.train_classifiers("c", "i", examples(30))
    runtime.task_queue.join()


def _essays(count, **special):
    batch = [{"student_id": f"s{n}", "answer": essay(20 + 10 * n, n)} for n in range(count)]
    for index, prefix in special.items():
        batch[int(index)]["answer"] = f"{prefix} {essay(40, 99)}"
    return batch


def _assessments(runtime):
    with runtime.database.transaction(read_only=True) as session:
        return {
            a.grading_workflow_uuid: (a.uuid, [(p.criterion, p.points) for p in a.parts])
            for a in session.scalars(select(AssessmentRecord))
        }


def test_a_burst_goes_out_in_tasks_of_the_batch_size(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(grading_batch_size=4))
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(10))
    pending = list(runtime.task_queue.pending)
    assert [len(uuids) for _, uuids, _ in pending] == [4, 4, 2]
    assert [u for _, uuids, _ in pending for u in uuids] == [
        s["grading_workflow_uuid"] for s in submitted
    ]
    runtime.task_queue.join()
    statuses = runtime.client.get_workflow_statuses([s["grading_workflow_uuid"] for s in submitted])
    assert set(statuses.values()) == {"complete"}


def test_a_single_submit_is_a_task_of_one(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(grading_batch_size=4))
    _trained(runtime)
    runtime.client.submit("c", "i", "s1", essay(40))
    assert [len(uuids) for _, uuids, _ in runtime.task_queue.pending] == [1]


def test_training_completion_releases_waiting_essays_in_batches(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(grading_batch_size=3))
    runtime.client.create_item("c", "i", RUBRIC)
    waiting = runtime.client.submit_many("c", "i", _essays(7))
    assert {s["status"] for s in waiting} == {"waiting"}
    assert not runtime.task_queue.pending
    runtime.client.train_classifiers("c", "i", examples(30))
    ran = runtime.task_queue.join()
    assert [(t.value, len(uuids)) for t, uuids, _ in ran] == [
        ("train", 1),
        ("grade", 3),
        ("grade", 3),
        ("grade", 1),
    ]
    assert len(_assessments(runtime)) == 7


def test_one_bad_essay_fails_alone(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(algorithms=PICKY))
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(5, **{"1": POISON, "3": GREEDY}))
    ran = runtime.task_queue.join()
    assert [o.kind for _, _, o in ran] == ["done"]
    workflows = [runtime.client.get_grading_workflow(s["grading_workflow_uuid"]) for s in submitted]
    assert [w["status"] for w in workflows] == [
        "complete",
        "failed",
        "complete",
        "failed",
        "complete",
    ]
    assert "algorithm_scoring_error" in workflows[1]["last_error"]
    assert "cannot read this essay" in workflows[1]["last_error"]
    assert "classifier gave 99 points" in workflows[3]["last_error"]
    assert all(w["attempts"] == 1 for w in workflows)
    assert workflows[0]["last_error"] is None
    assert runtime.client.get_latest_assessment(submitted[1]["submission_uuid"]) is None
    # Fixed, then rescheduled by a person: only the failed ones are graded again.
    assert runtime.client.reschedule_unfinished_tasks("c", "i", "grade")["grading_scheduled"] == 2


def test_a_batch_run_twice_changes_nothing(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(algorithms=PICKY))
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(4, **{"2": POISON}))
    runtime.task_queue.pending.clear()
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    first = grade_essays(runtime.worker, uuids)
    assert [first[u] is None for u in uuids] == [False, False, True, False]
    before = _assessments(runtime)
    workflows = [runtime.client.get_grading_workflow(u) for u in uuids]
    assert grade_essays(runtime.worker, uuids) == {}
    assert _assessments(runtime) == before
    assert [runtime.client.get_grading_workflow(u) for u in uuids] == workflows


def test_a_retryable_error_retries_the_batch_and_only_its_unfinished_workflows(
    make_runtime, settings, monkeypatch
):
    runtime = make_runtime(settings)
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(3))
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    # A duplicate task graded the first essay meanwhile.
    done_first = grade_essays(runtime.worker, uuids[:1])[uuids[0]]
    record = runtime.worker.record_grading_results
    calls = []

    def database_hiccup(results):
        calls.append([r.workflow_uuid for r in results])
        if len(calls) == 1:
            raise InternalError("database briefly unreachable", code="grading_internal_error")
        return record(results)

    monkeypatch.setattr(runtime.worker, "record_grading_results", database_hiccup)
    ran = runtime.task_queue.join()
    assert [o.kind for _, _, o in ran] == ["retry", "done"]
    assert calls == [uuids[1:], uuids[1:]]
    workflows = [runtime.client.get_grading_workflow(u) for u in uuids]
    assert [w["status"] for w in workflows] == ["complete"] * 3
    assert [w["attempts"] for w in workflows] == [1, 2, 2]
    assert workflows[0]["assessment_uuid"] == done_first
    assert all(w["last_error"] is None for w in workflows)


def test_a_workflow_completed_meanwhile_keeps_its_first_assessment(make_runtime, settings):
    runtime = make_runtime(settings)
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(2))
    runtime.task_queue.pending.clear()
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    batch = runtime.worker.begin_grading(uuids)
    assert [e.workflow_uuid for e in batch.essays] == uuids
    # A duplicate task (sent by the sweeper, say) grades them before this one records.
    first = grade_essays(runtime.worker, uuids)
    zero = {"ideas": CriterionScore(0, 0.5), "conventions": CriterionScore(0, 0.5)}
    late = [GradingResult(e.workflow_uuid, e.classifier_set_uuid, zero) for e in batch.essays]
    assert runtime.worker.record_grading_results(late) == first
    assert {a for a, _ in _assessments(runtime).values()} == set(first.values())


def test_a_result_that_does_not_fit_the_rubric_fails_its_workflow_only(make_runtime, settings):
    runtime = make_runtime(settings)
    _trained(runtime)
    submitted = runtime.client.submit_many("c", "i", _essays(3))
    runtime.task_queue.pending.clear()
    uuids = [s["grading_workflow_uuid"] for s in submitted]
    batch = runtime.worker.begin_grading(uuids)
    set_uuid = batch.essays[0].classifier_set_uuid
    good = {"ideas": CriterionScore(2, 0.9), "conventions": CriterionScore(3, 0.8)}
    recorded = runtime.worker.record_grading_results(
        [
            GradingResult(uuids[0], set_uuid, good),
            GradingResult(uuids[1], set_uuid, {"ideas": CriterionScore(2, 0.9)}),
            GradingResult(uuids[2], set_uuid, {**good, "ideas": CriterionScore(2, 1.5)}),
        ]
    )
    assert recorded[uuids[0]] is not None
    assert (recorded[uuids[1]], recorded[uuids[2]]) == (None, None)
    errors = [runtime.client.get_grading_workflow(u)["last_error"] for u in uuids[1:]]
    assert "scores.conventions" in errors[0]
    assert "confidence 1.5 is outside [0, 1]" in errors[1]
    assert len(_assessments(runtime)) == 1


def test_unknown_finished_and_waiting_workflows_are_skipped(make_runtime, settings):
    runtime = make_runtime(settings)
    runtime.client.create_item("c", "i", RUBRIC)
    waiting = runtime.client.submit("c", "i", "s0", essay(30))["grading_workflow_uuid"]
    batch = runtime.worker.begin_grading([waiting, "no-such-workflow"])
    assert batch.essays == []
    assert batch.skipped == {waiting: "waiting for classifiers", "no-such-workflow": "unknown"}
    assert runtime.client.get_grading_workflow(waiting)["attempts"] == 0


def test_the_sweeper_sends_each_items_stale_work_in_batches(make_runtime, settings):
    runtime = make_runtime(settings.with_overrides(grading_batch_size=2))
    api, queue = runtime.client, runtime.task_queue
    for item in ("i", "j"):
        api.create_item("c", item, RUBRIC)
        api.train_classifiers("c", item, examples(30))
    queue.join()
    queue.accepting = False  # the broker is down while essays arrive
    lost = {item: api.submit_many("c", item, _essays(3)) for item in ("i", "j")}
    queue.accepting = True
    assert runtime.worker.sweep(older_than=0)["grading"] == 6
    batches = [set(uuids) for _, uuids, _ in queue.pending]
    assert sorted(len(b) for b in batches) == [1, 1, 2, 2]
    for item, submitted in lost.items():
        mine = {s["grading_workflow_uuid"] for s in submitted}
        assert all(b <= mine or not b & mine for b in batches), f"a batch mixes {item}"
    queue.join()
    with runtime.database.transaction(read_only=True) as session:
        assert (
            session.scalar(
                select(func.count()).where(GradingWorkflowRecord.completed_at.is_not(None))
            )
            == 6
        )
