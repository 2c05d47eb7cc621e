"""Students' data: erasure for right-to-erasure requests, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from essaygrader.contract import AuditAction, AuditPage, Erased
from essaygrader.web.access import AuditReader, StudentEraser, actor_of
from essaygrader.web.deps import APIDep
from essaygrader.web.schemas.common import Limit, Offset
from essaygrader.web.schemas.student_data import ErasureRequest

router = APIRouter()


@router.post(
    "/courses/{course_id}/erasures",
    response_model=Erased,
    tags=["students"],
    summary="Erase a student's submissions and assessments",
)
def erase_student(course: StudentEraser, body: ErasureRequest, api: APIDep) -> Erased:
    """Delete the student's submissions (with their essays), grading workflows and
    assessments in the course, in one transaction, and write an audit record that names
    the student only by digest and holds counts, no text. Erasing again finds nothing
    more (all counts 0) and is recorded too."""
    return api.erase_student(course.course_id, body.student_id, actor=actor_of(course.principal))


@router.get(
    "/audit", response_model=AuditPage, tags=["audit"], summary="The audit log (admin token)"
)
def list_audit_records(
    principal: AuditReader,
    api: APIDep,
    offset: Offset = 0,
    limit: Limit = 100,
    course_id: Annotated[str | None, Query(description="Only records about this course.")] = None,
    action: Annotated[AuditAction | None, Query(description="Only this action.")] = None,
    student_id: Annotated[
        str | None, Query(description="Only records about this student of course_id.")
    ] = None,
) -> AuditPage:
    """Staff and service actions on people's data and on access, newest first: erasures,
    retention purges, tokens created and revoked. Records hold no essay text."""
    return api.list_audit_records(
        offset=offset, limit=limit, course_id=course_id, action=action, student_id=student_id
    )
