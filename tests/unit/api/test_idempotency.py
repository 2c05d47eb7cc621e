"""Running a task twice, or recording its result twice, leaves exactly one result."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from essaygrader.db.models import AssessmentRecord, ClassifierSetRecord
from essaygrader.worker.grading import grade_essays
from essaygrader.worker.params import CriterionScore, GradingResult
from essaygrader.worker.training import train_classifiers
from tests.factories import essay, examples


def _count(runtime, model):
    with runtime.database.transaction(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(model))


def _trained(api, task_queue):
    started = api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    return started["training_workflow_uuid"]


def _scores(ideas, conventions, confidence=0.5):
    return {
        "ideas": CriterionScore(ideas, confidence),
        "conventions": CriterionScore(conventions, confidence),
    }


def test_grading_task_twice_gives_one_assessment(api, runtime, task_queue, item):
    _trained(api, task_queue)
    submitted = api.submit("course-a", "item-1", "s1", essay(50))
    task_queue.join()
    first = api.get_latest_assessment(submitted["submission_uuid"])
    uuid = submitted["grading_workflow_uuid"]
    assert grade_essays(runtime.worker, [uuid]) == {}
    assert _count(runtime, AssessmentRecord) == 1
    assert api.get_latest_assessment(submitted["submission_uuid"]) == first


def test_recording_results_twice_keeps_the_first(api, runtime, task_queue, item):
    _trained(api, task_queue)
    submitted = api.submit("course-a", "item-1", "s1", essay(50))
    task_queue.pending.clear()
    uuid = submitted["grading_workflow_uuid"]
    set_uuid = api.get_grading_workflow(uuid)["classifier_set_uuid"]
    first = runtime.worker.record_grading_results([GradingResult(uuid, set_uuid, _scores(2, 3))])
    second = runtime.worker.record_grading_results([GradingResult(uuid, set_uuid, _scores(0, 0))])
    assert first == second
    assert _count(runtime, AssessmentRecord) == 1
    assert api.get_assessment_scores_by_criteria(submitted["submission_uuid"]) == {
        "ideas": 2,
        "conventions": 3,
    }


def test_concurrent_recording_records_one(api, runtime, task_queue, item):
    _trained(api, task_queue)
    submitted = api.submit("course-a", "item-1", "s1", essay(50))
    task_queue.pending.clear()
    uuid = submitted["grading_workflow_uuid"]
    set_uuid = api.get_grading_workflow(uuid)["classifier_set_uuid"]
    results, barrier = [], threading.Barrier(4)

    def record(points: int) -> None:
        barrier.wait()
        recorded = runtime.worker.record_grading_results(
            [GradingResult(uuid, set_uuid, _scores(points, 0))]
        )
        results.append(recorded[uuid])

    threads = [threading.Thread(target=record, args=(p % 3,)) for p in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert _count(runtime, AssessmentRecord) == 1


def test_training_task_twice_gives_one_classifier_set(api, runtime, task_queue, item):
    uuid = _trained(api, task_queue)
    set_uuid = api.get_training_workflow(uuid)["classifier_set_uuid"]
    assert train_classifiers(runtime.worker, uuid) is None
    assert runtime.worker.create_classifiers(uuid, {}) == set_uuid
    assert _count(runtime, ClassifierSetRecord) == 1


def test_reschedule_runs_unfinished_work_once(api, runtime, task_queue, item):
    api.submit("course-a", "item-1", "s1", essay(50))
    api.train_classifiers("course-a", "item-1", examples(30))
    counts = api.reschedule_unfinished_tasks("course-a", "item-1")
    assert counts == {
        "training_scheduled": 1,
        "grading_scheduled": 0,
        "grading_waiting": 1,
        "training_not_retried": 0,
    }
    task_queue.join()  # training runs twice; the second run returns at once
    assert _count(runtime, ClassifierSetRecord) == 1
    assert _count(runtime, AssessmentRecord) == 1
    assert api.reschedule_unfinished_tasks("course-a", "item-1", "grade") == {
        "training_scheduled": 0,
        "grading_scheduled": 0,
        "grading_waiting": 0,
        "training_not_retried": 0,
    }
