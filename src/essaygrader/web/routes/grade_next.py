"""What to grade next: the staff grading queue of an item."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from essaygrader.api.grade_next import MAX_GRADE_NEXT
from essaygrader.contract import GradeNextOut
from essaygrader.web.access import ResultsReader
from essaygrader.web.deps import APIDep

router = APIRouter(tags=["grading queue"])


@router.get(
    "/courses/{course_id}/items/{item_id}/grade-next",
    response_model=GradeNextOut,
    summary="What to grade next",
)
def grade_next(
    item: ResultsReader,
    api: APIDep,
    limit: Annotated[int, Query(ge=1, le=MAX_GRADE_NEXT, description="How many submissions.")] = 10,
) -> GradeNextOut:
    """Submissions not yet graded by staff whose grades would teach the model most, with
    each criterion's examples per option and what is thin. Staff and admin only."""
    return api.grade_next(item.course_id, item.item_id, limit=limit)
