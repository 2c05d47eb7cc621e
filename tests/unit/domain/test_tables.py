"""Tables of examples and essays as people save them: semicolons or tabs between fields,
headers in another case, and every problem reported at its line of the file."""

from __future__ import annotations

import pytest

from essaygrader.domain import tables
from essaygrader.errors import RequestError
from tests.factories import RUBRIC


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_fields_may_be_separated_by_commas_semicolons_or_tabs(delimiter):
    text = delimiter.join(["student_id", "text"]) + "\n"
    text += delimiter.join(["s1", '"Dear neighbours, hello; and\tmore."']) + "\n"
    rows = tables.essay_rows(text, "csv", "essays.csv")
    assert rows == [
        {"student_id": "s1", "text": "Dear neighbours, hello; and\tmore.", "external_id": None}
    ]


def test_a_header_in_another_case_gets_a_hint():
    text = "text;Ideas;conventions\nAn essay.;good;few errors\n"
    with pytest.raises(RequestError) as caught:
        tables.example_rows(text, "csv", "graded.csv", RUBRIC)
    assert "missing column 'ideas'" in str(caught.value)
    assert "the header has 'Ideas': did you mean 'ideas'?" in str(caught.value)


def test_rows_know_their_line_in_the_file():
    text = 'student_id,text\n\ns1,"two\nlines"\ns2,one line\n'
    rows = tables.essay_rows(text, "csv", "essays.csv")
    assert rows.lines == [3, 5]
    jsonl = '{"student_id": "s1", "text": "a"}\n\n{"student_id": "s2", "text": "b"}\n'
    assert tables.essay_rows(jsonl, "jsonl", "essays.jsonl").lines == [1, 3]


def test_every_empty_essay_is_reported_at_its_line():
    lines = ["student_id,text"] + [f"s{i}," + ("" if i % 2 else "fine") for i in range(50)]
    with pytest.raises(RequestError) as caught:
        tables.essay_rows("\n".join(lines) + "\n", "csv", "essays.csv")
    message = str(caught.value)
    assert message.startswith("essays.csv: 25 problems, so nothing was stored")
    assert "  line 3, column 'text': must not be empty" in message
    assert "  line 41, column 'text': must not be empty" in message  # the 20th
    assert "line 43" not in message
    assert message.endswith("  and 5 more")


def test_one_problem_reads_as_one_line():
    with pytest.raises(RequestError) as caught:
        tables.essay_rows("student_id,text\ns1,ok\n,missing id\n", "csv", "e.csv")
    assert str(caught.value) == "e.csv line 3, column 'student_id': must not be empty"


def test_more_fields_than_the_header_names_the_line_and_separator():
    with pytest.raises(RequestError) as caught:
        tables.essay_rows("student_id;text\ns1;a;b\n", "csv", "e.csv")
    assert "line 2 has more fields than the header (fields separated by ';')" in str(caught.value)
