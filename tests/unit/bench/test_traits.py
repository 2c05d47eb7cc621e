"""The standard trait protocol's averaging, its data reader and the dev split, on tiny
synthetic data (the real data is in test_accuracy_smoke)."""

from __future__ import annotations

import math

import pytest

from essaygrader.bench.datasets import BenchmarkDataError, Fold
from essaygrader.bench.traits import (
    TraitFigures,
    TraitProtocolResult,
    format_trait_protocol,
    load_asap_traits,
    merge_results,
    summarise,
    trait_ranges,
)


def test_means_go_per_trait_over_prompts_then_over_traits():
    values = {
        (1, "overall"): 0.8,
        (2, "overall"): 0.6,
        (1, "content"): 0.9,
        (2, "content"): 0.7,
        (3, "content"): 0.5,
        (3, "narrativity"): 0.4,
    }
    summary = summarise(values)
    assert summary.per_trait == pytest.approx({"overall": 0.7, "content": 0.7, "narrativity": 0.4})
    # Over traits (0.7, 0.7, 0.4), not over the six values (0.65).
    assert summary.mean == pytest.approx(0.6)
    assert summary.per_prompt == pytest.approx({1: 0.85, 2: 0.65, 3: 0.45})
    assert list(summary.per_trait) == ["overall", "content", "narrativity"]


def test_measures_not_taken_are_left_out():
    summary = summarise({(1, "overall"): 0.8, (1, "content"): math.nan})
    assert summary.per_trait == {"overall": 0.8}
    assert summary.mean == 0.8


def test_folds_are_averaged_before_prompts_and_the_table_shows_the_cut_point_cost():
    result = TraitProtocolResult("default", "dev", [0, 1])
    result.figures[(1, "overall")] = TraitFigures(
        qwk=[0.8, 0.6], rmse=[1.0, 2.0], exact=[0.5, 0.3], rounded_rmse=[0.5, 1.5],
        rounded_qwk=[0.6, 0.6],
    )  # fmt: skip
    result.figures[(1, "content")] = TraitFigures(
        qwk=[0.5, 0.5], rmse=[1.0, 1.0], exact=[0.4, 0.4], rounded_rmse=[1.0, 1.0],
        rounded_qwk=[0.4, 0.4],
    )  # fmt: skip
    assert result.summary("qwk").mean == pytest.approx(0.6)
    assert result.summary("rmse").per_trait["overall"] == pytest.approx(1.5)
    table = format_trait_protocol(result)
    assert "train on train ids, score dev ids" in table
    assert "ArTS 0.695  SaMRL 0.705" in table
    assert "overall                1.500       1.000    0.700      0.600" in table
    assert result.to_dict()["figures"][1]["rounded_rmse"] == pytest.approx(1.0)


def test_trait_ranges_follow_the_published_protocol():
    assert trait_ranges(8)["overall"] == (0, 60)
    assert trait_ranges(8)["voice"] == (2, 12)
    assert trait_ranges(7) == {
        "overall": (0, 30), "content": (0, 6), "organization": (0, 6), "conventions": (0, 6),
        "style": (0, 6),
    }  # fmt: skip
    assert list(trait_ranges(3)) == [
        "overall", "content", "prompt adherence", "language", "narrativity",
    ]  # fmt: skip


def test_trait_scores_are_read_by_column_name(tmp_path):
    (tmp_path / "traits.csv").write_text(
        "essay_id,prompt_id,overall,content,organization,word choice,sentence fluency,"
        "conventions,prompt adherence,language,narrativity,style,voice,test_fold\n"
        "1,1,8,4,3,3,3,3,,,,,,0\n"
        "5,3,2,2,1,,,,2,1,3,,,4\n",
        encoding="utf-8",
    )
    scores = load_asap_traits(tmp_path)
    assert scores[1] == {
        "overall": 8, "content": 4, "organization": 3, "word choice": 3,
        "sentence fluency": 3, "conventions": 3,
    }  # fmt: skip
    assert scores[5] == {
        "overall": 2, "content": 2, "prompt adherence": 2, "language": 1, "narrativity": 3,
    }  # fmt: skip


def test_a_missing_trait_score_names_the_line(tmp_path):
    (tmp_path / "traits.csv").write_text(
        "essay_id,prompt_id,overall,content,prompt adherence,language,narrativity\n5,3,2,2,,1,3\n",
        encoding="utf-8",
    )
    with pytest.raises(BenchmarkDataError, match="line 2"):
        load_asap_traits(tmp_path)
    with pytest.raises(BenchmarkDataError, match="not found"):
        load_asap_traits(tmp_path / "elsewhere")


def test_the_dev_split_trains_on_train_ids_and_scores_dev_ids():
    fold = Fold(train=frozenset({1, 2}), dev=frozenset({3}), test=frozenset({4}))
    assert fold.ids("dev") == ({1, 2}, {3})
    assert fold.ids("test") == ({1, 2, 3}, {4})
    with pytest.raises(ValueError, match="split must be one of test, dev"):
        fold.ids("train")


def test_runs_over_different_prompts_merge_into_one_table():
    def run(prompt, qwk):
        result = TraitProtocolResult("default", "test", [0, 1])
        result.figures[(prompt, "overall")] = TraitFigures(qwk=qwk, rmse=[1.0, 1.0], exact=[0.5])
        return result.to_dict()

    merged = merge_results([run(1, [0.8, 0.6]), run(2, [0.5, 0.5])])
    assert merged.summary("qwk").per_prompt == pytest.approx({1: 0.7, 2: 0.5})
    assert merged.summary("qwk").mean == pytest.approx(0.6)
    assert merged.figures[(1, "overall")].rounded_rmse == []
    with pytest.raises(BenchmarkDataError, match="two results"):
        merge_results([run(1, [0.8]), run(1, [0.8])])
    other = run(2, [0.5])
    other["split"] = "dev"
    with pytest.raises(BenchmarkDataError, match="differ"):
        merge_results([run(1, [0.8]), other])
