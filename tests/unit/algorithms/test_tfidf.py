from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from essaygrader.algorithms.tfidf import TfidfBlock, tokenize_all

from .synthetic import graded_essays


def test_char_block_matches_scikit_learn_char_wb() -> None:
    texts, _ = graded_essays(30, [0, 1, 2], seed=9)
    # scikit-learn's char_wb splits on whitespace only; our tokens also split punctuation,
    # so compare on text without punctuation.
    texts = [t.replace(".", " ").replace("!", " ").replace("?", " ").lower() for t in texts]
    ours = TfidfBlock.fit(tokenize_all(texts), "char", (2, 4), min_df=2)
    theirs = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, dtype=np.float64
    ).fit(texts)
    assert ours.terms.tolist() == theirs.get_feature_names_out().tolist()
    np.testing.assert_allclose(ours.idf, theirs.idf_, rtol=1e-6)
    np.testing.assert_allclose(
        ours.transform(tokenize_all(texts)).toarray(), theirs.transform(texts).toarray(), atol=1e-6
    )


def test_word_block_rows_are_unit_length_and_unknown_words_are_ignored() -> None:
    block = TfidfBlock.fit(tokenize_all(["a cat sat", "a cat ran", "dogs bark"]), "word", (1, 2))
    assert block.terms.tolist() == ["a", "a cat", "cat"]
    rows = block.transform(tokenize_all(["a cat", "zebra", ""])).toarray()
    assert np.linalg.norm(rows[0]) == pytest.approx(1.0)
    assert not rows[1].any()
    assert not rows[2].any()


def test_block_survives_its_array_form() -> None:
    block = TfidfBlock.fit(tokenize_all(["ab cd", "ab ef", "cd ab"]), "char", (2, 3), min_df=1)
    copy = TfidfBlock("char", (2, 3), block.terms.copy(), block.idf.copy())
    tokens = tokenize_all(["ab cd ef gh"])
    assert (copy.transform(tokens) != block.transform(tokens)).nnz == 0


def test_char_block_memo_of_tokens_stays_bounded_and_rows_stay_right(monkeypatch) -> None:
    from essaygrader.algorithms import tfidf

    monkeypatch.setattr(tfidf, "TOKEN_MEMO_LIMIT", 5)
    block = TfidfBlock.fit(tokenize_all(["ab cd", "ab ef", "cd ab"]), "char", (2, 3), min_df=1)
    fresh = TfidfBlock("char", (2, 3), block.terms.copy(), block.idf.copy())
    many = tokenize_all([" ".join(f"ab{i} cd{i}" for i in range(40))])
    rows = block.transform(many).toarray()
    assert len(block._token_columns) == 5
    # Past the bound, tokens are looked up afresh each time, to the same result.
    np.testing.assert_array_equal(block.transform(many).toarray(), rows)
    np.testing.assert_array_equal(fresh.transform(many).toarray(), rows)
