from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from essaygrader.algorithms.ease_features import GrammarReference
from essaygrader.algorithms.ngram_selection import (
    bag_matrix,
    essay_bag,
    fisher_exact_two_sided,
    good_essays,
    select_discriminating_ngrams,
)
from essaygrader.algorithms.tfidf import tokenize


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.data())
def test_fisher_matches_scipy(n: int, data: st.DataObject) -> None:
    n_good = data.draw(st.integers(1, n - 1))
    present = data.draw(st.integers(0, n))
    low, high = max(0, present - (n - n_good)), min(present, n_good)
    present_good = data.draw(st.integers(low, high))
    table = [
        [present_good, present - present_good],
        [n_good - present_good, n - n_good - present + present_good],
    ]
    expected = fisher_exact(table).pvalue
    got = fisher_exact_two_sided(np.array([present_good]), np.array([present]), n_good, n)[0]
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_selection_prefers_ngrams_that_separate_good_from_weak_essays() -> None:
    good = ["the evidence clearly shows the point and the point"] * 10
    weak = ["i like it it is good and fun"] * 10
    terms, counts = bag_matrix([essay_bag(tokenize(t)) for t in good + weak])
    assert counts[0, terms.index("the point")] == 2
    chosen = select_discriminating_ngrams(counts, np.array([3.0] * 10 + [1.0] * 10), keep=3)
    assert len(chosen) == 3
    assert "and" not in [terms[c] for c in chosen]  # in every essay: says nothing


def test_grammar_reference_needs_two_good_essays() -> None:
    essays = [{"a WORD", "the NOUN"}, {"a WORD"}, {"the NOUN"}, {"a WORD"}]
    reference = GrammarReference.learn(essays, np.array([True, True, False, True]))
    assert dict(zip(reference.grams, reference.counts.tolist(), strict=True)) == {"a WORD": 3}


def test_grammar_reference_discounts_an_essay_in_its_own_reference() -> None:
    grams = {"the NOUN", "a WORD"}
    reference = GrammarReference(["the NOUN", "a WORD", "NOUN NOUN"], [2, 5, 9])
    assert reference.features(grams, in_reference=False).tolist() == [2.0, 1.0]
    assert reference.features(grams, in_reference=True).tolist() == [1.0, 0.5]


def test_good_essays_split_even_a_skewed_scale() -> None:
    assert good_essays(np.array([1.0, 2.0, 3.0, 4.0])).tolist() == [False, False, True, True]
    assert good_essays(np.array([0.0, 0.0, 0.0, 2.0])).tolist() == [False, False, False, True]
