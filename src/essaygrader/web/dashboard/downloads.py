"""Files the dashboard hands out: an item's results as CSV, safe to open in a spreadsheet.

Each row is a submission with its current assessment (the newest staff one, else the
newest released AI one) and its ``source``, ``ai`` or ``staff``; a held AI grade is not a
result yet, so its row says ``pending`` and carries no grade.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from essaygrader.api.ai import AIGradingAPI
from essaygrader.api.base import MAX_PAGE
from essaygrader.contract import SubmissionSummary
from essaygrader.domain.access import Permission
from essaygrader.domain.exports import write_csv
from essaygrader.web.access import check_course, check_permission
from essaygrader.web.dashboard.render import PREFIX, SECURITY_HEADERS
from essaygrader.web.dashboard.session import UserDep
from essaygrader.web.deps import APIDep

router = APIRouter(prefix=PREFIX, include_in_schema=False)

SUBMISSION_COLUMNS = (
    "submission_uuid",
    "student_id",
    "external_id",
    "status",
    "review_status",
    "source",
    "scorer_id",
    "scored_at",
    "points_earned",
    "points_possible",
)


def result_columns(scored: Iterable[str], criteria: Iterable[str]) -> list[str]:
    """The header: the submission's columns, three per scored criterion, the feedback."""
    parts = [f"{c}.{part}" for c in scored for part in ("option", "points", "confidence")]
    return [
        *SUBMISSION_COLUMNS,
        *parts,
        *(f"{c}.feedback" for c in criteria),
        "overall_feedback",
    ]


def result_row(submission: SubmissionSummary) -> dict[str, Any]:
    """One submission and its current assessment, by column."""
    row: dict[str, Any] = {
        "submission_uuid": submission["submission_uuid"],
        "student_id": submission["student_id"],
        "external_id": submission["external_id"] or "",
        "status": submission["status"],
        "review_status": submission["review_status"],
    }
    assessment = submission["assessment"]
    if assessment is None:
        return row
    row.update(
        source=assessment["type"],
        scorer_id=assessment["scorer_id"],
        scored_at=assessment["scored_at"],
        points_earned=assessment["points_earned"],
        points_possible=assessment["points_possible"],
        overall_feedback=assessment["overall_feedback"],
    )
    for part in assessment["parts"]:
        row[f"{part['criterion']}.option"] = part["option"]
        row[f"{part['criterion']}.points"] = part["points"]
        row[f"{part['criterion']}.confidence"] = part["confidence"]
    for criterion, text in assessment["feedback"].items():
        row[f"{criterion}.feedback"] = text
    return row


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
