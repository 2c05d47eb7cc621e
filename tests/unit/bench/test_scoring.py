"""The load benchmark's scoring-only figure: the same classifiers, as grading uses them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from essaygrader.algorithms.base import FeatureCache, Score
from essaygrader.bench.load import LoadResult, format_result
from essaygrader.bench.scoring import load_classifier_set, score_one_at_a_time
from tests.factories import essay, examples


class _Recording:
    """A classifier stand-in that notes the texts and caches it was given."""

    def __init__(self, seen: list[tuple[list[str], int]]) -> None:
        self.seen = seen

    def predict(self, texts: Sequence[str], *, cache: FeatureCache | None = None) -> list[Score]:
        self.seen.append((list(texts), id(cache)))
        return [Score(0, 1.0) for _ in texts]


def test_each_essay_is_scored_alone_with_a_fresh_cache_shared_by_its_criteria():
    seen: list[tuple[list[str], int]] = []
    classifiers: dict[str, Any] = {"ideas": _Recording(seen), "conventions": _Recording(seen)}
    texts = [essay(30, seed=n) for n in range(5)]
    result = score_one_at_a_time(classifiers, texts)
    assert result.essays == 5
    assert result.cpu_seconds > 0
    assert result.essays_per_core_second == pytest.approx(5 / result.cpu_seconds)
    # One untimed warm-up essay, then each essay once per criterion.
    timed = seen[2:]
    assert [batch for batch, _ in timed] == [[t] for t in texts for _ in range(2)]
    caches = [cache for _, cache in timed]
    assert caches[0::2] == caches[1::2], "the criteria of one essay share its cache"


def test_nothing_to_score_measures_nothing():
    result = score_one_at_a_time({}, [])
    assert (result.essays, result.essays_per_core_second) == (0, 0.0)


@pytest.mark.usefixtures("item")
def test_a_trained_set_loads_from_its_blobs_as_a_worker_loads_it(runtime):
    workflow = runtime.client.train_classifiers("course-a", "item-1", examples())
    runtime.task_queue.join()
    set_uuid = runtime.client.get_training_workflow(workflow["training_workflow_uuid"])[
        "classifier_set_uuid"
    ]
    classifiers = load_classifier_set(runtime.database, runtime.blobs, runtime.algorithms, set_uuid)
    assert sorted(classifiers) == ["conventions", "ideas"]
    assert score_one_at_a_time(classifiers, [essay(40)]).essays == 1
    with pytest.raises(LookupError, match="no classifier set"):
        load_classifier_set(runtime.database, runtime.blobs, runtime.algorithms, "nonesuch")


def test_the_report_prints_scoring_per_core_and_the_ratio():
    result = LoadResult({}, drain_seconds=10.0, graded=3000, scoring_per_core=400.0)
    report = format_result(result)
    assert "scoring    400.0 essays/s per core" in report
    assert "ratio      0.75 (throughput / scoring per core)" in report
    assert "scoring" not in format_result(LoadResult({}, drain_seconds=1.0, graded=1))
