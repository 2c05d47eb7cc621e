"""Training records cross-validated quality per criterion, and an item's min_qwk gate
keeps a classifier set below it from ever grading."""

from __future__ import annotations

from tests.factories import RUBRIC, essay, examples


def _noisy_examples():
    """Conventions scores that do not follow anything the fake classifier can see."""
    noisy = examples(30)
    for i, example in enumerate(noisy):
        example["options_selected"]["conventions"] = ("many errors", "few errors")[i % 2]
    return noisy


def test_training_records_cross_validated_quality(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    metrics = api.get_classifier_set_info("course-a", "item-1")["metrics"]
    assert metrics["method"] == "k-fold"  # fake computes no out-of-fold predictions itself
    assert metrics["folds"] == 5
    assert metrics["min_qwk"] is None
    assert metrics["passed_quality_gate"] is True
    ideas = metrics["criteria"]["ideas"]
    assert ideas["examples"] == 30
    assert ideas["distribution"] == {"0": 10, "1": 10, "2": 10}
    assert ideas["confusion"]["labels"] == [0, 1, 2]
    assert sum(map(sum, ideas["confusion"]["matrix"])) == 30
    # Length decides these scores, and length is what the fake classifier learns.
    assert ideas["qwk"] > 0.9
    assert ideas["exact"] > 0.9
    assert ideas["adjacent"] == 1.0
    assert set(metrics["criteria"]) == {"ideas", "conventions"}
    assert metrics["mean_qwk"] == round(
        (ideas["qwk"] + metrics["criteria"]["conventions"]["qwk"]) / 2, 4
    )


def test_noise_shows_as_low_quality(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", _noisy_examples())
    task_queue.join()
    criteria = api.get_classifier_set_info("course-a", "item-1")["metrics"]["criteria"]
    assert criteria["conventions"]["qwk"] < 0.5 < criteria["ideas"]["qwk"]


def test_quality_gate_refuses_a_weak_model_and_keeps_the_previous_one(api, task_queue, item):
    api.train_classifiers("course-a", "item-1", examples(30))
    task_queue.join()
    first = api.get_classifier_set_info("course-a", "item-1")
    api.update_item("course-a", "item-1", min_qwk=0.6)
    started = api.train_classifiers("course-a", "item-1", _noisy_examples())
    task_queue.join()
    workflow = api.get_training_workflow(started["training_workflow_uuid"])
    assert workflow["status"] == "failed"
    assert workflow["attempts"] == 1  # not retried: retraining on the same data cannot pass
    assert "quality_gate_failed: quality gate" in workflow["last_error"]
    assert "'conventions'" in workflow["last_error"]
    assert "'ideas'" not in workflow["last_error"]
    assert api.get_classifier_set_info("course-a", "item-1")["uuid"] == first["uuid"]
    submitted = api.submit("course-a", "item-1", "s1", essay(50))
    task_queue.join()
    graded = api.get_latest_assessment(submitted["submission_uuid"])
    assert graded["classifier_set_uuid"] == first["uuid"]


def test_a_gated_item_without_classifiers_keeps_submissions_waiting(api, task_queue):
    api.create_item("course-a", "gated", RUBRIC, min_qwk=0.6)
    submitted = api.submit("course-a", "gated", "s1", essay(50))
    api.train_classifiers("course-a", "gated", _noisy_examples())
    task_queue.join()
    assert api.get_classifier_set_info("course-a", "gated") is None
    assert api.get_grading_workflow(submitted["grading_workflow_uuid"])["status"] == "waiting"
    passing = api.train_classifiers("course-a", "gated", examples(30))
    task_queue.join()
    assert api.is_training_workflow_complete(passing["training_workflow_uuid"])
    metrics = api.get_classifier_set_info("course-a", "gated")["metrics"]
    assert metrics["min_qwk"] == 0.6
    assert metrics["passed_quality_gate"] is True
    assert api.is_grading_workflow_complete(submitted["grading_workflow_uuid"])
