"""The grading procedure: score a batch of submissions of one item, each on its own.

A batch costs one transaction to begin, one classifier load per classifier set (from the
process's memory cache after the first), and one transaction to record every result.
Each essay is scored alone, with a fresh feature cache shared by its criteria, exactly
as it would be in a batch of one, so its assessment does not depend on its neighbours.
An essay that cannot be scored fails its own workflow; an error that retrying may fix
(a database or storage hiccup) is raised, and the whole batch is retried: its finished
workflows are skipped the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from billiard.exceptions import SoftTimeLimitExceeded

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache
from essaygrader.algorithms.flags import advisory_flags, text_signature
from essaygrader.algorithms.flags.text import SignatureIndex
from essaygrader.errors import EssayGraderError, InternalError
from essaygrader.worker.api import AIWorkerAPI
from essaygrader.worker.params import (
    ClassifierSetSpec,
    CriterionScore,
    EssayToGrade,
    GradingResult,
)

log = logging.getLogger(__name__)


def grade_essays(
    worker: AIWorkerAPI, workflow_uuids: Sequence[str], *, worker_name: str | None = None
) -> dict[str, str | None]:
    """Grade the submissions of grading workflows and record their assessments.

    Workflows already complete or failed are skipped; one whose item has no classifiers
    yet stays waiting (training completion schedules it).

    Returns:
        ``{workflow uuid: assessment uuid}`` for the workflows graded now or before;
        None for those that failed.

    Raises:
        EssayGraderError: A retryable error; the caller retries the batch.
    """
    batch = worker.begin_grading(workflow_uuids, worker_name=worker_name)
    for uuid, reason in batch.skipped.items():
        log.info("grading workflow %s skipped: %s", uuid, reason)
    if not batch.essays:
        return {}
    loaded: dict[str, dict[str, CriterionClassifier]] = {}
    unusable: dict[str, str] = {}
    for set_uuid, spec in batch.classifier_sets.items():
        try:
            loaded[set_uuid] = worker.load_classifiers(spec)
        except EssayGraderError as exc:
            if exc.retryable:
                raise
            # A blob that is damaged or cannot be loaded fails the essays it would grade.
            unusable[set_uuid] = f"{exc.code}: {exc}"
    results = []
    for essay in batch.essays:
        set_uuid = essay.classifier_set_uuid
        if set_uuid in unusable:
            results.append(GradingResult(essay.workflow_uuid, set_uuid, error=unusable[set_uuid]))
        else:
            spec = batch.classifier_sets[set_uuid]
            result = score_essay(essay, spec, loaded[set_uuid])
            if result.error is None:
                try:
                    flags = essay_flags(essay, spec, batch.signatures.get(essay.item))
                except Exception:
                    # Flags advise: a check that breaks must not cost the essay its grade.
                    log.exception("grading workflow %s: advisory flags failed", essay.workflow_uuid)
                    flags = ()
                result = replace(result, flags=flags)
            results.append(result)
    return worker.record_grading_results(results)


def essay_flags(
    essay: EssayToGrade, spec: ClassifierSetSpec, item: SignatureIndex | None
) -> tuple[dict[str, str], ...]:
    """The advisory flags of one essay, whatever algorithm scored it.

    ``duplicate`` compares the essay with the item's earlier submissions by other
    students (an earlier one is the original; a student's own resubmission is no copy),
    among those that share a band of its signature.
    """
    signature = essay.signature if essay.signature is not None else text_signature(essay.text)
    item = item if item is not None else SignatureIndex()
    rows = [
        row
        for row in item.candidates(signature)
        if item.ids[row] < essay.submission_id and item.student_ids[row] != essay.student_id
    ]
    others = item.signatures(rows)
    uuids = tuple(item.uuids[row] for row in rows)
    flags = advisory_flags(essay.text, spec.profile, signature, others, uuids)
    return tuple(flag.to_json() for flag in flags)


def score_essay(
    essay: EssayToGrade, spec: ClassifierSetSpec, classifiers: dict[str, CriterionClassifier]
) -> GradingResult:
    """Score one essay on every criterion of its set.

    Returns:
        Its scores, or the error that fails its workflow (a classifier that raised, or
        gave points the criterion does not allow).

    Raises:
        EssayGraderError: A retryable error.
        SoftTimeLimitExceeded: The task ran out of time; it is retried.
    """
    # One cache per essay: its features are computed once and shared by every criterion.
    cache = FeatureCache()
    scores: dict[str, CriterionScore] = {}
    try:
        for criterion, classifier in classifiers.items():
            try:
                (score,) = classifier.predict([essay.text], cache=cache)
            except (EssayGraderError, SoftTimeLimitExceeded):
                raise
            except Exception as exc:
                raise InternalError(
                    f"criterion {criterion!r}: {type(exc).__name__}: {exc}",
                    code="algorithm_scoring_error",
                ) from exc
            valid_points = spec.valid_points[criterion]
            if score.points not in valid_points:
                raise InternalError(
                    f"criterion {criterion!r}: classifier gave {score.points} points, "
                    f"not one of {list(valid_points)}",
                    code="algorithm_scoring_error",
                )
            scores[criterion] = CriterionScore(int(score.points), float(score.confidence))
    except EssayGraderError as exc:
        if exc.retryable:
            raise
        return GradingResult(essay.workflow_uuid, spec.uuid, error=f"{exc.code}: {exc}")
    return GradingResult(essay.workflow_uuid, spec.uuid, scores=scores)
