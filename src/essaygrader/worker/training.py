"""The training procedure: one classifier per scored criterion, its cross-validated
quality, then the classifier set."""

from __future__ import annotations

import logging

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.flags import build_profile
from essaygrader.algorithms.quality import DEFAULT_FOLDS, criterion_quality, out_of_fold_points
from essaygrader.errors import EssayGraderError, InternalError
from essaygrader.worker.api import AIWorkerAPI
from essaygrader.worker.params import StoredClassifier

log = logging.getLogger(__name__)


def train_classifiers(
    worker: AIWorkerAPI, workflow_uuid: str, *, worker_name: str | None = None
) -> str | None:
    """Train, store and record the classifiers of a training workflow.

    Returns at once when the workflow is already complete. Grading of the item's
    waiting submissions is scheduled when the classifier set is recorded.

    Returns:
        The classifier set's uuid, or None when there was nothing to do.

    Raises:
        EssayGraderError: Retryable errors are retried by the caller; others fail it.
    """
    task = worker.begin_training(workflow_uuid, worker_name=worker_name)
    if task is None:
        return None
    texts = [example.text for example in task.examples]
    # Criteria of one rubric share the essays, so they share their features too.
    cache = FeatureCache()
    stored: dict[str, StoredClassifier] = {}
    quality = {}
    methods = set()
    for done, criterion in enumerate(task.criteria, 1):
        name = criterion.name
        points = [example.scores[name] for example in task.examples]
        valid_points = list(criterion.valid_points)
        classifier = worker.algorithms.new(task.algorithm_id)
        try:
            classifier.fit(
                texts,
                points,
                valid_points=valid_points,
                cache=cache,
                prompt=task.prompt,
            )
            predicted, method = out_of_fold_points(
                classifier,
                texts,
                points,
                valid_points=valid_points,
                cache=cache,
                prompt=task.prompt,
            )
        except EssayGraderError:
            raise
        except Exception as exc:
            raise InternalError(
                f"criterion {name!r}: {type(exc).__name__}: {exc}", code="algorithm_training_error"
            ) from exc
        quality[name] = criterion_quality(points, predicted, valid_points)
        methods.add(method)
        stored[name] = worker.store_classifier(classifier)
        worker.record_training_progress(workflow_uuid, done)
        log.info(
            "training %s: criterion %r trained (%d/%d), cross-validated QWK %.3f",
            workflow_uuid,
            name,
            done,
            len(task.criteria),
            quality[name]["qwk"],
        )
    metrics = {
        "folds": DEFAULT_FOLDS,
        # "fit": the algorithm's own out-of-fold predictions; "k-fold": refitted here.
        "method": "+".join(sorted(methods)),
        "mean_qwk": round(sum(q["qwk"] for q in quality.values()) / len(quality), 4),
        "criteria": quality,
    }
    # The advisory flags' item profile: word counts, topic terms, the prompt's phrases.
    profile = build_profile(texts, task.prompt).to_json()
    return worker.create_classifiers(workflow_uuid, stored, metrics, profile=profile)
