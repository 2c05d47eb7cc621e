"""What to grade next: which ungraded essays teach an item's classifiers the most.

Pure functions (no database). Before any classifier exists, :func:`random_sample`: a
random sample represents the variety of the submissions, and on ASAP trained better
classifiers than :func:`diverse_sample`'s k-means picks (TF-IDF vectors with the essay's
length, into as many groups as essays wanted, from each group the essay nearest its
centre). Afterwards, :func:`mixed_sample`: half at random, which keeps the graded
essays' mix of scores, and half by :func:`balanced_sample`, spread evenly over the
predicted scores, extremes included (measured on ASAP against a random choice,
:func:`balanced_sample` alone and :func:`informative_sample`, which prefers essays the
classifiers are least sure of and rarely predicted scores while keeping the choice
diverse: README, "What to grade next").
:func:`coverage` says, per criterion, how many examples each option has and which is
thinnest.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from essaygrader.algorithms.flags.text import words_of

VECTOR_DIMENSIONS = 64
# Weight of the essay's standardised log length beside the unit-length TF-IDF part of its
# vector. Length is the strongest single sign of a score, so groups that differ in length
# teach the most; on ASAP (bench grade-next) 3 beat 0.5 at 50 and 100 grades.
LENGTH_WEIGHT = 3.0
# How much a predicted point value with few examples adds to an essay's uncertainty
# (measured as for LENGTH_WEIGHT: 2 slightly above 0.5).
RARITY_WEIGHT = 2.0
# Picks closer than this share of the typical distance to an earlier pick are discounted.
CLOSE_SHARE = 0.5
# Coverage: an option wants at least this many examples, and half a fair share of them.
MIN_EXAMPLES_PER_OPTION = 5
MAX_EXAMPLES_PER_OPTION = 20


@dataclass(frozen=True)
class Prediction:
    """The AI's scores of one essay: per criterion, the points given and the confidence."""

    points: Mapping[str, int]
    confidence: Mapping[str, float]


@dataclass(frozen=True)
class Choice:
    """One essay to grade next, by its position in the candidates, and why."""

    index: int
    reason: str


def essay_vectors(texts: Sequence[str]) -> NDArray[np.float64]:
    """One vector per essay for measuring how alike essays are: reduced TF-IDF of its words
    and bigrams, and its standardised log length."""
    n = len(texts)
    if n == 0:
        return np.zeros((0, 1))
    vectorizer = TfidfVectorizer(
        analyzer=lambda text: _terms(text),
        min_df=2 if n >= 20 else 1,
        sublinear_tf=True,
    )
    try:
        tfidf = vectorizer.fit_transform(texts)
    except ValueError:  # no term in two essays: only length tells them apart
        tfidf = None
    parts = []
    if tfidf is not None and tfidf.shape[1] > 2 and n > 2:
        dimensions = min(VECTOR_DIMENSIONS, tfidf.shape[1] - 1, n - 1)
        reduced = TruncatedSVD(dimensions, random_state=0).fit_transform(tfidf)
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        parts.append(reduced / np.where(norms > 0, norms, 1.0))
    lengths = np.log1p([len(words_of(t)) for t in texts])
    spread = float(lengths.std()) or 1.0
    parts.append(LENGTH_WEIGHT * ((lengths - lengths.mean()) / spread)[:, None])
    return np.hstack(parts)


def _terms(text: str) -> list[str]:
    words = words_of(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def diverse_sample(vectors: NDArray[np.float64], limit: int, *, seed: int = 0) -> list[Choice]:
    """Up to ``limit`` essays that cover the variety of all of them.

    k-means into ``limit`` groups; from each group the essay nearest its centre, the
    largest groups first (they stand for most essays).
    """
    n = len(vectors)
    if n == 0 or limit <= 0:
        return []
    k = min(limit, n)
    if k == n:
        return [Choice(i, "one of the few essays not yet graded") for i in range(n)]
    model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(vectors)
    labels = model.labels_
    distances = np.linalg.norm(vectors - model.cluster_centers_[labels], axis=1)
    sizes = np.bincount(labels, minlength=k)
    choices: list[Choice] = []
    for group in sorted(range(k), key=lambda g: (-sizes[g], g)):
        members = np.flatnonzero(labels == group)
        if len(members) == 0:
            continue
        nearest = int(members[np.argmin(distances[members])])
        choices.append(
            Choice(
                nearest,
                f"typical of a group of {sizes[group]} similar essays "
                f"({len(choices) + 1} of {k} groups covering all {n})",
            )
        )
    return choices


def random_sample(n: int, limit: int, *, seed: int | str = 0) -> list[Choice]:
    """Up to ``limit`` of ``n`` essays drawn uniformly at random (seeded, so the same
    queue each time): the first batch, before any classifier exists.

    On ASAP (README, "What to grade next") no other choice of the first essays trained
    better classifiers than a random one: not k-means centres (:func:`diverse_sample`),
    not one essay per length stratum. A random sample represents the essays' variety,
    lengths and scores included, in proportion.
    """
    picks = random.Random(seed).sample(range(n), min(limit, n))
    return [
        Choice(
            index,
            f"drawn at random from all {n} ungraded essays, so the first grades represent them all",
        )
        for index in picks
    ]


def point_rarity(
    prediction: Prediction, examples: Mapping[str, Mapping[int, int]]
) -> tuple[float, str | None, int]:
    """How few training examples the predicted point values have: the largest over the
    criteria of ``1 / sqrt(1 + examples)``, with that criterion and its count."""
    best, which, count = 0.0, None, 0
    for criterion, points in prediction.points.items():
        have = examples.get(criterion, {}).get(points, 0)
        rarity = 1.0 / math.sqrt(1.0 + have)
        if rarity > best:
            best, which, count = rarity, criterion, have
    return best, which, count


def informative_sample(
    vectors: NDArray[np.float64],
    predictions: Sequence[Prediction | None],
    examples: Mapping[str, Mapping[int, int]],
    limit: int,
) -> list[Choice]:
    """Up to ``limit`` essays whose grades would teach the classifiers most.

    An essay's value is its uncertainty (1 less its lowest confidence; 0.5 without a
    prediction) plus :data:`RARITY_WEIGHT` times :func:`point_rarity`. Picks are greedy by
    value, times a discount for being near an earlier pick (distance below
    :data:`CLOSE_SHARE` of the median distance between essays).

    Args:
        vectors: :func:`essay_vectors` of the candidates.
        predictions: Each candidate's AI scores, or None when it has none yet.
        examples: Per criterion, training examples per point value.
        limit: How many to choose.
    """
    n = len(vectors)
    if n == 0 or limit <= 0:
        return []
    value = np.zeros(n)
    notes: list[str] = []
    for i, prediction in enumerate(predictions):
        if prediction is None or not prediction.confidence:
            value[i] = 0.5
            notes.append("not scored by the classifiers yet")
            continue
        criterion = min(prediction.confidence, key=lambda c: prediction.confidence[c])
        lowest = prediction.confidence[criterion]
        rarity, rare_criterion, count = point_rarity(prediction, examples)
        value[i] = (1.0 - lowest) + RARITY_WEIGHT * rarity
        note = f"confidence {lowest:.2f} on {criterion!r}"
        if rare_criterion is not None and count < MIN_EXAMPLES_PER_OPTION:
            note += (
                f"; predicted {prediction.points[rare_criterion]} points on "
                f"{rare_criterion!r}, which has {count} training example"
                f"{'' if count == 1 else 's'}"
            )
        notes.append(note)
    sample = vectors[np.random.default_rng(0).choice(n, size=min(n, 200), replace=False)]
    typical = float(np.median(np.linalg.norm(sample[:, None] - sample[None], axis=2))) or 1.0
    nearest = np.full(n, np.inf)
    chosen: list[Choice] = []
    available = np.ones(n, dtype=bool)
    for _ in range(min(limit, n)):
        discount = np.minimum(1.0, nearest / (CLOSE_SHARE * typical))
        score = np.where(available, value * discount, -np.inf)
        pick = int(np.argmax(score))
        chosen.append(Choice(pick, notes[pick]))
        available[pick] = False
        nearest = np.minimum(nearest, np.linalg.norm(vectors - vectors[pick], axis=1))
    return chosen


def balanced_sample(
    predictions: Sequence[Prediction | None], limit: int, *, seed: int = 0
) -> list[Choice]:
    """Up to ``limit`` essays spread evenly over the scores the classifiers predict.

    The candidates are grouped by predicted points (summed over the criteria); the picks
    go round the groups, taking one essay at random from each group in turn, so that
    every predicted score, the extremes included, gets as many essays as it can: the
    rare scores are those a classifier learns least from a random sample, and QWK suffers
    most when an extreme score is never taught. Essays without a prediction form a group
    of their own.

    Args:
        predictions: Each candidate's AI scores, or None when it has none yet.
        limit: How many to choose.
        seed: Seed of the random picks within a group.
    """
    groups: dict[int | None, list[int]] = {}
    for i, prediction in enumerate(predictions):
        key = None if prediction is None else sum(prediction.points.values())
        groups.setdefault(key, []).append(i)
    rng = np.random.default_rng(seed)
    queues = {key: list(rng.permutation(members)) for key, members in groups.items()}
    # The rarest predicted scores first, so that a last, partial round goes to them.
    order = sorted(queues, key=lambda key: (len(queues[key]), -1 if key is None else key))
    chosen: list[Choice] = []
    while len(chosen) < limit and any(queues.values()):
        for key in order:
            if len(chosen) >= limit:
                break
            if queues[key]:
                index = int(queues[key].pop())
                chosen.append(Choice(index, _balanced_reason(predictions[index], len(groups[key]))))
    return chosen


def mixed_sample(
    predictions: Sequence[Prediction | None], limit: int, *, seed: int | str = 0
) -> list[Choice]:
    """Up to ``limit`` essays, half drawn at random and half spread over the predicted
    scores, interleaved (a random one first).

    The random half keeps the graded essays' mix of scores close to the submissions',
    which the classifier's regression and cut-points learn from (a sample spread evenly
    over the scores has more extremes than the submissions, and a classifier fitted to
    it expects them); the other half, :func:`balanced_sample` over the essays the random half
    left, still teaches every predicted score, the rare extremes included. On ASAP it was
    the only choice measured that was level with a random one or ahead at every step;
    :func:`balanced_sample` alone and sampling in proportion to the predicted scores
    were not (README, "What to grade next").

    Args:
        predictions: Each candidate's AI scores, or None when it has none yet.
        limit: How many to choose; the random half has the odd one.
        seed: Seed of both halves (the item's key in the API, so the queue stays put).
    """
    n = len(predictions)
    limit = min(max(limit, 0), n)
    rng = random.Random(seed)
    drawn = rng.sample(range(n), limit - limit // 2)
    taken = set(drawn)
    left = [i for i in range(n) if i not in taken]
    spread = balanced_sample([predictions[i] for i in left], limit // 2, seed=rng.randrange(2**32))
    random_half = [
        Choice(
            i,
            f"drawn at random from all {n} ungraded essays, so the grades keep their mix of scores",
        )
        for i in drawn
    ]
    spread_half = [Choice(left[c.index], c.reason) for c in spread]
    chosen: list[Choice] = []
    for pair in itertools.zip_longest(random_half, spread_half):
        chosen += [c for c in pair if c is not None]
    return chosen


def _balanced_reason(prediction: Prediction | None, predicted_so: int) -> str:
    if prediction is None:
        return "not scored by the classifiers yet"
    points = sum(prediction.points.values())
    lowest = min(prediction.confidence.values(), default=1.0)
    return (
        f"predicted {points} points, like {predicted_so} ungraded essay"
        f"{'' if predicted_so == 1 else 's'}: the queue covers every predicted score evenly"
        f" (confidence {lowest:.2f})"
    )


@dataclass(frozen=True)
class OptionCount:
    option: str
    points: int
    examples: int
    wanted: int


@dataclass(frozen=True)
class CriterionCoverage:
    """One criterion's examples per option, and the advice on what is thin."""

    criterion: str
    options: tuple[OptionCount, ...]
    advice: str


def coverage(
    criteria: Mapping[str, Sequence[tuple[str, int]]],
    examples: Mapping[str, Mapping[int, int]],
) -> list[CriterionCoverage]:
    """Per scored criterion, the examples per option and which option most wants more.

    Each option wants half a fair share of the criterion's examples, at least
    :data:`MIN_EXAMPLES_PER_OPTION` and at most :data:`MAX_EXAMPLES_PER_OPTION`; the
    advice names the option furthest below that.

    Args:
        criteria: Per scored criterion, its options as ``(name, points)``.
        examples: Per criterion, training examples per point value.
    """
    result = []
    for criterion, options in criteria.items():
        counts = examples.get(criterion, {})
        total = sum(counts.get(points, 0) for _, points in options)
        fair = math.ceil(total / max(len(options), 1) / 2)
        wanted = min(MAX_EXAMPLES_PER_OPTION, max(MIN_EXAMPLES_PER_OPTION, fair))
        rows = tuple(
            OptionCount(name, points, counts.get(points, 0), max(0, wanted - counts.get(points, 0)))
            for name, points in options
        )
        thinnest = max(rows, key=lambda r: (r.wanted, -r.examples), default=None)
        if thinnest is None or thinnest.wanted == 0:
            advice = "every option has enough examples"
        else:
            essays = "essay" if thinnest.wanted == 1 else "essays"
            advice = f"{thinnest.wanted} more {essays} at {thinnest.option!r} would help most"
        result.append(CriterionCoverage(criterion, rows, advice))
    return result
