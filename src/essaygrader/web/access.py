"""Access control: each route names what it needs, and these dependencies check it.

Two rules keep courses apart. A route addressed by course (``/courses/{course_id}/...``)
answers 403 for a course the token does not reach, whether or not anything exists
there. A route addressed by uuid answers 404 for another course's record, exactly as for
one that does not exist. Either way a token learns nothing about other courses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path

from essaygrader.contract import GradingWorkflowOut, TrainingWorkflowOut
from essaygrader.domain.access import Permission, Principal, Role
from essaygrader.domain.audit import Actor
from essaygrader.domain.redaction import without_server_details
from essaygrader.errors import EssayGraderError, ForbiddenError
from essaygrader.web.deps import PrincipalDep

Workflow = TypeVar("Workflow", GradingWorkflowOut, TrainingWorkflowOut)

CoursePath = Annotated[str, Path(description="The course's id.")]
ItemPath = Annotated[str, Path(description="The item's id, unique in its course.")]


@dataclass(frozen=True)
class CourseAccess:
    principal: Principal
    course_id: str


@dataclass(frozen=True)
class ItemAccess:
    principal: Principal
    course_id: str
    item_id: str


def check_permission(principal: Principal, permission: Permission) -> None:
    """Raises:
    ForbiddenError: ``forbidden``; the token's role does not allow ``permission``.
    """
    if not principal.may(permission):
        raise ForbiddenError(
            f"a {principal.role.value} token cannot {permission.value}", code="forbidden"
        )


def check_course(principal: Principal, course_id: str, *, field: str = "course_id") -> None:
    """Raises:
    ForbiddenError: ``forbidden``; the token does not reach ``course_id``.
    """
    if not principal.covers(course_id):
        raise ForbiddenError(
            f"this token does not reach course {course_id!r}", field=field, code="forbidden"
        )


def hide_foreign(principal: Principal, course_id: str, not_found: EssayGraderError) -> None:
    """Raise ``not_found``, the error of a missing record, for another course's record."""
    if not principal.covers(course_id):
        raise not_found


def actor_of(principal: Principal) -> Actor:
    """The audit log's name for what ``principal`` does: its token's name and uuid."""
    return Actor(principal.name, principal.token_uuid)


def readable_error(principal: Principal, error: str | None) -> str | None:
    """A workflow's error as ``principal`` may read it.

    Admins run the service and see it whole; staff and platform tokens see it without
    file paths, URLs and addresses (the worker's log keeps the full text).
    """
    if error is None or principal.role is Role.ADMIN:
        return error
    return without_server_details(error)


def readable_workflow(principal: Principal, workflow: Workflow) -> Workflow:
    """``workflow`` with its ``last_error`` as ``principal`` may read it."""
    workflow["last_error"] = readable_error(principal, workflow["last_error"])
    return workflow


def allowed(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency: the caller, whose role allows ``permission``."""

    def dependency(principal: PrincipalDep) -> Principal:
        check_permission(principal, permission)
        return principal

    return dependency


def in_course(permission: Permission) -> Callable[[Principal, str], CourseAccess]:
    """A dependency: the caller and the path's course, which its token reaches."""

    def dependency(principal: PrincipalDep, course_id: CoursePath) -> CourseAccess:
        check_permission(principal, permission)
        check_course(principal, course_id)
        return CourseAccess(principal, course_id)

    return dependency


def on_item(permission: Permission) -> Callable[[Principal, str, str], ItemAccess]:
    """A dependency: the caller and the path's item, in a course its token reaches."""

    def dependency(principal: PrincipalDep, course_id: CoursePath, item_id: ItemPath) -> ItemAccess:
        check_permission(principal, permission)
        check_course(principal, course_id)
        return ItemAccess(principal, course_id, item_id)

    return dependency


ItemReader = Annotated[ItemAccess, Depends(on_item(Permission.READ_ITEMS))]
ItemManager = Annotated[ItemAccess, Depends(on_item(Permission.MANAGE_ITEMS))]
CourseItemManager = Annotated[CourseAccess, Depends(in_course(Permission.MANAGE_ITEMS))]
ItemTrainer = Annotated[ItemAccess, Depends(on_item(Permission.TRAIN))]
TrainingReader = Annotated[ItemAccess, Depends(on_item(Permission.READ_TRAINING))]
ItemSubmitter = Annotated[ItemAccess, Depends(on_item(Permission.SUBMIT))]
ResultsReader = Annotated[ItemAccess, Depends(on_item(Permission.READ_RESULTS))]
ItemReviewer = Annotated[ItemAccess, Depends(on_item(Permission.GRADE))]
ItemRescheduler = Annotated[ItemAccess, Depends(on_item(Permission.RESCHEDULE))]
CourseRescheduler = Annotated[CourseAccess, Depends(in_course(Permission.RESCHEDULE))]

ItemsLister = Annotated[Principal, Depends(allowed(Permission.READ_ITEMS))]
AssessmentReader = Annotated[Principal, Depends(allowed(Permission.READ_ASSESSMENTS))]
Grader = Annotated[Principal, Depends(allowed(Permission.GRADE))]
TrainingWorkflowReader = Annotated[Principal, Depends(allowed(Permission.READ_TRAINING))]
StudentEraser = Annotated[CourseAccess, Depends(in_course(Permission.ERASE_STUDENTS))]
AuditReader = Annotated[Principal, Depends(allowed(Permission.READ_AUDIT))]
BacklogReader = Annotated[Principal, Depends(allowed(Permission.READ_BACKLOG))]
MetricsReader = Annotated[Principal, Depends(allowed(Permission.READ_METRICS))]
IntegrationsManager = Annotated[Principal, Depends(allowed(Permission.MANAGE_INTEGRATIONS))]
CourseIntegrationsManager = Annotated[
    CourseAccess, Depends(in_course(Permission.MANAGE_INTEGRATIONS))
]
