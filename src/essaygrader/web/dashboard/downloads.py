"""Files the dashboard hands out: an item's results as CSV, safe to open in a spreadsheet.

The rows are those of ``essaygrader results`` (:func:`~essaygrader.domain.exports.result_row`):
each submission with its current assessment and its ``source``, ``ai`` or ``staff``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import Response

from essaygrader.api.ai import AIGradingAPI
from essaygrader.api.base import MAX_PAGE
from essaygrader.contract import SubmissionSummary
from essaygrader.domain.access import Permission
from essaygrader.domain.exports import result_columns, result_row, write_csv
from essaygrader.web.access import check_course, check_permission
from essaygrader.web.dashboard.render import PREFIX, SECURITY_HEADERS
from essaygrader.web.dashboard.session import UserDep
from essaygrader.web.deps import APIDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/courses/{course_id}/items/{item_id}/results.csv")
def results_csv(user: UserDep, api: APIDep, course_id: str, item_id: str) -> Response:
    """Every submission of the item with its current assessment, as CSV."""
    check_course(user, course_id)
    check_permission(user, Permission.READ_RESULTS)
    criteria = api.get_item(course_id, item_id)["rubric"]["criteria"]
    columns = result_columns(
        [c["name"] for c in criteria if c["options"]], [c["name"] for c in criteria]
    )
    buffer = io.StringIO()
    write_csv(buffer, columns, (result_row(s) for s in _submissions(api, course_id, item_id)))
    filename = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in item_id)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="results-{filename}.csv"',
        },
    )


def _submissions(api: AIGradingAPI, course_id: str, item_id: str) -> Iterator[SubmissionSummary]:
    offset = 0
    while True:
        page = api.list_submissions(course_id, item_id, offset=offset, limit=MAX_PAGE)
        yield from page["submissions"]
        offset += len(page["submissions"])
        if offset >= page["total"] or not page["submissions"]:
            return
