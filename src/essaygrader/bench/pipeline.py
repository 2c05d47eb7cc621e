"""Train and grade a benchmark rubric through the product itself.

The ASAP++ part of the accuracy benchmark uses this :class:`RubricTrainer`: each trait
rubric becomes an item in a scratch database, its essays go through
``train_classifiers`` (the training procedure, the cross-validated quality, the blob
store and the classifier set), and the test essays are submitted and graded by the
grading procedure, one assessment each, exactly as a worker would. Tasks run in this
process through the in-process queue, which uses the same procedures and failure policy
as Celery workers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from essaygrader.algorithms.registry import AlgorithmSpec
from essaygrader.bench.accuracy import RubricScorer, RubricTrainer
from essaygrader.config import Settings
from essaygrader.errors import InternalError
from essaygrader.queues.inprocess import InProcessTaskQueue
from essaygrader.runtime import Runtime

COURSE_ID = "benchmark"


def train_rubric_through_pipeline(
    workdir: Path | None = None, algorithms: Mapping[str, AlgorithmSpec] | None = None
) -> RubricTrainer:
    """A :class:`RubricTrainer` whose every step is the product's own.

    Args:
        workdir: Where the scratch databases and classifier blobs go; a temporary folder
            by default.
        algorithms: Extra algorithm registrations, as in the ``algorithms`` setting.
    """
    root = workdir or Path(tempfile.mkdtemp(prefix="essaygrader-bench-"))
    runs = 0

    def train(
        algorithm_id: str,
        texts: list[str],
        scores: Mapping[str, list[int]],
        valid_points: Mapping[str, list[int]],
    ) -> RubricScorer:
        nonlocal runs
        runs += 1
        queue = InProcessTaskQueue()
        settings = Settings(
            data_dir=root / f"run-{runs}",
            default_algorithm=algorithm_id,
            algorithms=dict(algorithms or {}),
            min_training_examples=2,
            warn_training_examples=0,
        )
        runtime = Runtime(settings, task_queue=queue)
        api = runtime.client
        item_id = f"rubric-{runs}"
        rubric = {
            "criteria": [
                {"name": name, "options": [{"name": str(p), "points": p} for p in points]}
                for name, points in valid_points.items()
            ]
        }
        api.create_item(COURSE_ID, item_id, rubric, algorithm_id=algorithm_id)
        examples = [
            {"text": text, "options_selected": {n: str(scores[n][i]) for n in scores}}
            for i, text in enumerate(texts)
        ]
        uuid = api.train_classifiers(COURSE_ID, item_id, examples)["training_workflow_uuid"]
        queue.join()
        workflow = api.get_training_workflow(uuid)
        if workflow["status"] != "complete":
            runtime.close()
            raise InternalError(
                f"benchmark training failed: {workflow['last_error']}",
                code="algorithm_training_error",
            )

        def score(essays: list[str]) -> dict[str, list[int]]:
            submitted = api.submit_many(
                COURSE_ID,
                item_id,
                [{"student_id": f"s{i}", "answer": text} for i, text in enumerate(essays)],
            )
            queue.join()
            graded = [
                api.get_assessment_scores_by_criteria(s["submission_uuid"]) for s in submitted
            ]
            runtime.close()
            return {name: [g[name] for g in graded] for name in scores}

        return score

    return train
