"""Choosing what to grade next: variety before training, doubt and rarity after."""

from __future__ import annotations

import numpy as np

from essaygrader.algorithms.grade_next import (
    Prediction,
    balanced_sample,
    coverage,
    diverse_sample,
    essay_vectors,
    informative_sample,
    mixed_sample,
)


def _clusters() -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    sizes = [30, 5, 5]
    points = np.vstack(
        [c + rng.normal(0, 0.5, (n, 2)) for c, n in zip(centres, sizes, strict=True)]
    )
    labels = [g for g, n in enumerate(sizes) for _ in range(n)]
    return points, labels


def test_diverse_sample_takes_one_essay_from_each_group_largest_first():
    vectors, labels = _clusters()
    chosen = diverse_sample(vectors, 3)
    assert sorted(labels[c.index] for c in chosen) == [0, 1, 2]
    assert labels[chosen[0].index] == 0
    assert "group of 30" in chosen[0].reason


def test_essay_vectors_separate_topics():
    texts = ["garden soil seeds tomato " * 5 + str(i) for i in range(5)] + [
        "rocket orbit planet moon " * 5 + str(i) for i in range(5)
    ]
    vectors = essay_vectors(texts)
    within = np.linalg.norm(vectors[0] - vectors[1])
    across = np.linalg.norm(vectors[0] - vectors[7])
    assert within < across


def test_informative_sample_prefers_low_confidence_then_keeps_diverse():
    vectors, labels = _clusters()
    predictions = [Prediction({"ideas": 1}, {"ideas": 0.9}) for _ in labels]
    # Two near-identical doubtful essays in the big group, one less doubtful far away.
    predictions[0] = Prediction({"ideas": 1}, {"ideas": 0.2})
    vectors[1] = vectors[0] + 0.01
    predictions[1] = Prediction({"ideas": 1}, {"ideas": 0.21})
    predictions[35] = Prediction({"ideas": 1}, {"ideas": 0.3})
    chosen = informative_sample(vectors, predictions, {"ideas": {1: 50}}, 2)
    assert [c.index for c in chosen] == [0, 35]
    assert "confidence 0.20 on 'ideas'" in chosen[0].reason


def test_informative_sample_prefers_rarely_seen_predicted_points():
    vectors, labels = _clusters()
    predictions = [Prediction({"ideas": 1}, {"ideas": 0.6}) for _ in labels]
    predictions[12] = Prediction({"ideas": 2}, {"ideas": 0.6})
    chosen = informative_sample(vectors, predictions, {"ideas": {1: 40, 2: 1}}, 1)
    assert chosen[0].index == 12
    assert "which has 1 training example" in chosen[0].reason


def test_balanced_sample_spreads_picks_over_predicted_scores_rarest_first():
    points = [1] * 50 + [0] * 5 + [2] * 2 + [3]
    predictions = [Prediction({"ideas": p}, {"ideas": 0.7}) for p in points]
    chosen = balanced_sample(predictions, 7, seed=1)
    picked = [points[c.index] for c in chosen]
    assert picked[:4] == [3, 2, 0, 1]
    assert sorted(picked) == [0, 0, 1, 1, 2, 2, 3]
    assert len({c.index for c in chosen}) == 7
    assert "predicted 3 points, like 1 ungraded essay" in chosen[0].reason
    # Seeded: the same queue each time; every essay at most once.
    assert balanced_sample(predictions, 7, seed=1) == chosen
    assert len(balanced_sample(predictions, 100)) == len(points)
    assert balanced_sample([None, None], 1)[0].reason == "not scored by the classifiers yet"


def test_mixed_sample_draws_half_at_random_and_spreads_the_other_half():
    points = [1] * 90 + [2] * 10
    predictions = [Prediction({"ideas": p}, {"ideas": 0.7}) for p in points]
    chosen = mixed_sample(predictions, 21, seed="course/item")
    drawn = [c for c in chosen if c.reason.startswith("drawn at random")]
    spread = [c for c in chosen if c.reason.startswith("predicted")]
    # Interleaved, a random one first; the random half has the odd one.
    assert [c in drawn for c in chosen] == [i % 2 == 0 for i in range(21)]
    assert (len(drawn), len(spread)) == (11, 10)
    assert len({c.index for c in chosen}) == 21
    # The spread half goes round the predicted scores, the rarer first.
    assert [points[c.index] for c in spread[:4]] == [2, 1, 2, 1]
    # Seeded by the item: the same queue each time.
    assert mixed_sample(predictions, 21, seed="course/item") == chosen
    assert len(mixed_sample(predictions, 500)) == len(points)
    assert mixed_sample(predictions, 0) == []


def test_mixed_samples_random_half_keeps_the_mix_of_predicted_scores():
    # 10% of the essays are predicted 2 points: so are about 10% of the random half's
    # picks (a spread half would give 50%), which keeps the graded essays' mix of scores.
    points = [1] * 180 + [2] * 20
    predictions = [Prediction({"ideas": p}, {"ideas": 0.7}) for p in points]
    drawn = [
        points[c.index]
        for seed in range(200)
        for c in mixed_sample(predictions, 20, seed=seed)
        if c.reason.startswith("drawn at random")
    ]
    assert len(drawn) == 200 * 10
    assert 0.08 < drawn.count(2) / len(drawn) < 0.12


def test_coverage_names_the_thinnest_option():
    criteria = {"ideas": [("weak", 0), ("fair", 1), ("strong", 2)]}
    (ideas,) = coverage(criteria, {"ideas": {0: 20, 1: 25, 2: 2}})
    assert [(o.option, o.examples, o.wanted) for o in ideas.options] == [
        ("weak", 20, 0),
        ("fair", 25, 0),
        ("strong", 2, 6),
    ]
    assert ideas.advice == "6 more essays at 'strong' would help most"
    (full,) = coverage(criteria, {"ideas": {0: 30, 1: 30, 2: 30}})
    assert full.advice == "every option has enough examples"
