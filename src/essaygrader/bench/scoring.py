"""What grading costs without the engine: the same classifiers on the same essays.

The load benchmark compares its drain throughput with this figure. It loads the
classifier set a training produced, exactly as a worker does (stored bytes, verified and
decoded), then scores essays one at a time, each with a fresh :class:`FeatureCache`
shared by its criteria, as a grading task does. No database, broker or transaction is
involved, so the ratio of the two figures is the share of a worker's time that goes to
grading rather than to the engine around it.

The figure is per core: numerical libraries are held to one thread (as in a worker's
pool processes), the scoring thread is pinned to one CPU where the platform allows, and
essays are divided by the CPU seconds the process used, not by wall time, so other work
on the machine does not lower it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from threadpoolctl import threadpool_limits

from essaygrader.algorithms.base import CriterionClassifier, FeatureCache
from essaygrader.algorithms.model_format import decode_model
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.db.models import ClassifierRecord, ClassifierSetRecord
from essaygrader.db.session import Database
from essaygrader.storage.base import BlobStore


@dataclass(frozen=True)
class ScoringResult:
    """Scoring-only throughput.

    Attributes:
        essays: Essays scored (warm-up not counted).
        cpu_seconds: CPU time the process spent scoring them.
        wall_seconds: Elapsed time while scoring them.
    """

    essays: int
    cpu_seconds: float
    wall_seconds: float

    @property
    def essays_per_core_second(self) -> float:
        return self.essays / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


def load_classifier_set(
    database: Database, blobs: BlobStore, algorithms: AlgorithmRegistry, set_uuid: str
) -> dict[str, CriterionClassifier]:
    """The classifiers of a recorded set, read from the blob store as a worker reads them.

    Raises:
        LookupError: No such classifier set.
    """
    with database.transaction(read_only=True) as session:
        algorithm_id = session.scalar(
            select(ClassifierSetRecord.algorithm_id).where(ClassifierSetRecord.uuid == set_uuid)
        )
        if algorithm_id is None:
            raise LookupError(f"no classifier set {set_uuid!r}")
        records = session.execute(
            select(ClassifierRecord.criterion, ClassifierRecord.blob_key)
            .where(ClassifierRecord.classifier_set_uuid == set_uuid)
            .order_by(ClassifierRecord.criterion)
        ).all()
    return {
        criterion: algorithms.load(algorithm_id, decode_model(blobs.get(blob_key)))
        for criterion, blob_key in records
    }


def score_one_at_a_time(
    classifiers: dict[str, CriterionClassifier], texts: Sequence[str]
) -> ScoringResult:
    """Score each essay on every criterion, one essay at a time, on one thread, as a
    worker's pool process does.

    The first essay warms the process up (word-level memos, lazily built tables) and is
    not timed, as a worker's first task is not typical of the rest.
    """
    if not texts:
        return ScoringResult(0, 0.0, 0.0)
    _score(classifiers, texts[0])
    with threadpool_limits(limits=1), _one_cpu():
        cpu, wall = time.process_time(), time.perf_counter()
        for text in texts:
            _score(classifiers, text)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return ScoringResult(len(texts), cpu, wall)


def _score(classifiers: dict[str, CriterionClassifier], text: str) -> None:
    cache = FeatureCache()
    for classifier in classifiers.values():
        classifier.predict([text], cache=cache)


@contextmanager
def _one_cpu() -> Iterator[None]:
    """Pin the calling thread to one of its CPUs for the duration, where Linux allows."""
    if not hasattr(os, "sched_getaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {max(allowed)})
    except OSError:
        yield
        return
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)
