from __future__ import annotations

from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.timing import measure_speed

from ..algorithms.synthetic import graded_essays


def test_speed_report_measures_a_loaded_three_criterion_rubric() -> None:
    registry = AlgorithmRegistry()
    texts, points = graded_essays(40, [0, 1, 2], seed=0)
    classifier = registry.new("default").fit(texts, points, valid_points=[0, 1, 2])
    report = measure_speed(registry, classifier, texts, repeats=1)
    assert report.model_bytes > 1000
    assert 0 < report.load_seconds < 5
    assert report.essays_per_second > 10
