from __future__ import annotations

import json

import numpy as np
import pytest

from essaygrader.bench.report import (
    AccuracyResult,
    AlgorithmResult,
    calibration_table,
    format_table,
)
from essaygrader.bench.timing import SpeedReport


def test_calibration_table_bins_agreement_by_confidence() -> None:
    confidence = np.array([0.1, 0.15, 0.5, 0.9, 1.0])
    exact = np.array([False, True, True, True, True])
    bins = calibration_table(confidence, exact, np.ones(5, dtype=bool))
    assert [b.count for b in bins] == [2, 0, 1, 0, 2]
    assert bins[0].exact == 0.5
    assert bins[4].exact == 1.0
    assert np.isnan(bins[1].exact)


def test_table_and_json_report_the_protocol_means() -> None:
    algo = AlgorithmResult("default")
    algo.fold_qwk = {1: [0.8, 0.9], 2: [0.7, 0.7]}
    algo.record_fit(1, 1426, 2.5)
    algo.record_fit(2, 1440, 3.0)
    algo.speed = SpeedReport(model_bytes=2048, load_seconds=0.02, essays_per_second=512.0)
    algo.traits = {1: {"Content": 0.6, "Organization": 0.8}}
    result = AccuracyResult([algo], [1, 2], [0, 1])
    assert algo.prompt_qwk == pytest.approx({1: 0.85, 2: 0.7})
    assert algo.mean_qwk == pytest.approx(0.775)
    table = format_table(result)
    for figure in ("0.850", "0.700", "0.7750", "512", "2", "20.0"):
        assert figure in table
    assert "mean over all traits 0.7000" in table
    assert "3.00s (P2, 1440)" in table  # both the slowest fit and the largest set
    data = json.loads(json.dumps(result.to_dict()))
    assert data["algorithms"][0]["train_seconds"] == 5.5


def test_table_prints_rmse_and_exact_agreement_and_names_the_split() -> None:
    algo = AlgorithmResult("default")
    algo.fold_qwk = {8: [0.7, 0.8]}
    algo.fold_rmse = {8: [3.0, 4.0]}
    algo.fold_exact = {8: [0.1, 0.2]}
    table = format_table(AccuracyResult([algo], [8], [0, 1], "dev"))
    assert "train on train ids, score dev ids" in table
    assert "ASAP RMSE in points, same runs\ndefault     3.500  3.5000" in table
    assert "ASAP exact agreement, same runs\ndefault     0.150  0.1500" in table
