"""The load benchmark's choices and report, without running workers."""

from __future__ import annotations

import pytest

from essaygrader.bench.load import (
    LoadPlan,
    LoadResult,
    choose_algorithm,
    format_result,
    percentile,
    settings_for,
)
from essaygrader.bench.workload import RUBRIC, essays, training_examples
from essaygrader.config import Settings
from essaygrader.domain.rubric import Rubric
from essaygrader.errors import InternalError, RequestError
from essaygrader.runtime import Runtime


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


def test_the_algorithm_falls_back_to_fake_when_the_default_is_not_registered(tmp_path):
    runtime = Runtime(Settings(data_dir=tmp_path, default_algorithm="default"))
    assert choose_algorithm(LoadPlan("embedded"), runtime) == (
        "default" if "default" in runtime.algorithms.ids() else "fake"
    )
    assert choose_algorithm(LoadPlan("embedded", algorithm="fake"), runtime) == "fake"
    with pytest.raises(RequestError):
        choose_algorithm(LoadPlan("embedded", algorithm="nonesuch"), runtime)


def test_an_engine_needs_its_own_kind_of_broker(tmp_path):
    base = Settings(database_url="postgresql://db/x", broker_url="amqp://guest:secret@mq//")
    with pytest.raises(InternalError, match="engine redis needs a redis broker") as caught:
        settings_for(LoadPlan("redis"), base, tmp_path)
    assert "secret" not in str(caught.value)
    chosen = settings_for(LoadPlan("redis", broker_url="redis://127.0.0.1/3"), base, tmp_path)
    assert (chosen.broker_url, chosen.database_url) == ("redis://127.0.0.1/3", "postgresql://db/x")
    embedded = settings_for(LoadPlan("embedded"), base, tmp_path)
    assert (embedded.broker_url, embedded.database_url, embedded.data_dir) == ("", "", tmp_path)


def test_the_workload_is_valid_and_repeatable():
    rubric = Rubric.from_dict(RUBRIC)
    assert [c.name for c in rubric.scored_criteria] == ["ideas", "organisation"]
    assert essays(3) == essays(3)
    lengths = [len(e["answer"].split()) for e in essays(200)]
    assert min(lengths) >= 150
    assert max(lengths) <= 450
    examples = training_examples(100)
    assert {e["options_selected"]["ideas"] for e in examples} == {
        "missing",
        "thin",
        "developed",
        "rich",
    }


def test_the_report_names_the_set_up_and_the_figures():
    result = LoadResult(
        {"engine": "redis", "workers": "2 process(es) x 1 pool process(es)"},
        drain_seconds=50.0,
        graded=1000,
        latencies=[float(v) for v in range(1, 101)],
        worker_cores=1.5,
        machine_cores=1.9,
        submit_errors=2,
        # Workers grow 10 MB an hour; this process stays flat.
        memory=[(t * 600.0, 300.0 + t * 10 / 6, 150.0) for t in range(7)],
    )
    report = format_result(result)
    assert "engine     redis" in report
    assert "throughput 20.0 essays/s (1000 graded, 0 failed, 2 submissions refused)" in report
    assert "workers 300 -> 310 MB (+10.0 MB/h)" in report
    assert "submitting process 150 -> 150 MB (+0.0 MB/h), 7 samples over 3600 s" in report
    assert "p50 50.000 s  p95 95.000 s  p99 99.000 s" in report
    assert "workers 1.50 cores" in report
