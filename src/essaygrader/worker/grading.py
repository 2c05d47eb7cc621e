"""The grading procedure: score one submission with its classifier set."""

from __future__ import annotations

import logging

from essaygrader.algorithms.base import FeatureCache
from essaygrader.errors import EssayGraderError, InternalError
from essaygrader.worker.api import AIWorkerAPI

log = logging.getLogger(__name__)


def grade_essay(
    worker: AIWorkerAPI, workflow_uuid: str, *, worker_name: str | None = None
) -> str | None:
    """Grade the submission of a grading workflow and record its assessment.

    Returns at once when the workflow is already complete. A workflow whose item has
    no classifiers yet stays waiting: training completion schedules it.

    Returns:
        The assessment's uuid, or None when there was nothing to do.

    Raises:
        EssayGraderError: Retryable errors are retried by the caller; others fail it.
    """
    params = worker.begin_grading(workflow_uuid, worker_name=worker_name)
    if params is None:
        return None
    if params["classifier_set_uuid"] is None:
        log.info("grading workflow %s waits for its item's classifiers", workflow_uuid)
        return None
    classifiers = worker.load_classifiers(params)
    # One cache per essay: its features are computed once and shared by every criterion.
    cache = FeatureCache()
    scores = {}
    for criterion, classifier in classifiers.items():
        valid_points = params["valid_points"][criterion]
        try:
            (score,) = classifier.predict([params["essay_text"]], cache=cache)
        except EssayGraderError:
            raise
        except Exception as exc:
            raise InternalError(
                f"criterion {criterion!r}: {type(exc).__name__}: {exc}",
                code="algorithm_scoring_error",
            ) from exc
        if score.points not in valid_points:
            raise InternalError(
                f"criterion {criterion!r}: classifier gave {score.points} points, "
                f"not one of {valid_points}",
                code="algorithm_scoring_error",
            )
        scores[criterion] = {"points": int(score.points), "confidence": float(score.confidence)}
    return worker.create_assessment(workflow_uuid, params["classifier_set_uuid"], scores)
