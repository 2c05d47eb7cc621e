"""One rule for ids everywhere: what the command line and the Python API create, the HTTP
API and the dashboard can address."""

from __future__ import annotations

import pytest

from essaygrader.domain.item import ItemKey
from essaygrader.errors import RequestError
from tests.factories import RUBRIC


@pytest.mark.parametrize("bad", ["a/b", ".", "..", "/start"])
@pytest.mark.parametrize("field", ["course_id", "item_id"])
def test_new_items_need_addressable_ids(bad, field):
    ids = {"course_id": "course", "item_id": "item", field: bad}
    with pytest.raises(RequestError) as caught:
        ItemKey.new(ids["course_id"], ids["item_id"])
    assert caught.value.field == field
    assert caught.value.code == "item_invalid"
    assert "the HTTP API could not address it" in caught.value.message


def test_the_python_api_refuses_what_http_cannot_address(api):
    with pytest.raises(RequestError) as caught:
        api.create_item("course-a", "unit 1/essay", RUBRIC)
    assert caught.value.field == "item_id"
    assert api.list_items()["total"] == 0
    # Dots and other punctuation inside an id are fine.
    assert api.create_item("course-a", "unit 1.essay?", RUBRIC)["item_id"] == "unit 1.essay?"
