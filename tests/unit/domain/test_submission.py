from __future__ import annotations

import pytest

from essaygrader.domain.submission import essay_text
from essaygrader.errors import RequestError


@pytest.mark.parametrize(
    ("answer", "text"),
    [
        ("plain essay", "plain essay"),
        ({"text": "in an object"}, "in an object"),
        ({"parts": ["one", "two"]}, "one\ntwo"),
        ({"parts": [{"text": "one"}, {"text": "two"}]}, "one\ntwo"),
        ("é😀 unicode", "é😀 unicode"),
    ],
)
def test_answer_shapes(answer, text):
    assert essay_text(answer, max_chars=100) == text


@pytest.mark.parametrize(
    ("answer", "field", "words"),
    [
        ({"answer": "wrong key"}, "answer", "keys ['answer']"),
        ({}, "answer", "an object with keys []"),
        (42, "answer", "not int"),
        (None, "answer", "not NoneType"),
        ({"parts": "not a list"}, "answer.parts", "must be a list"),
        ({"parts": ["ok", 3]}, "answer.parts[1]", "must be a string"),
        ({"text": 5}, "answer.text", "must be a string"),
        ("", "answer", "must not be empty"),
        ("   \n\t ", "answer", "must not be empty"),
        ({"parts": ["", " "]}, "answer", "must not be empty"),
        ("x" * 101, "answer", "101 characters; the limit is 100"),
    ],
)
def test_bad_answers_are_request_errors_naming_the_field(answer, field, words):
    with pytest.raises(RequestError) as caught:
        essay_text(answer, max_chars=100)
    assert caught.value.field == field
    assert words in str(caught.value)
