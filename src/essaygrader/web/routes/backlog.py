"""The backlog, and rescheduling unfinished work."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from essaygrader.contract import Rescheduled, StatusOut
from essaygrader.errors import RequestError
from essaygrader.web.access import BacklogReader, CourseRescheduler, ItemRescheduler, check_course
from essaygrader.web.deps import APIDep

router = APIRouter(tags=["backlog"])

TaskType = Annotated[
    Literal["train", "grade", "all"], Query(description="Which unfinished work to send again.")
]


@router.get(
    "/status",
    response_model=StatusOut,
    response_model_exclude_unset=True,
    summary="Queue lengths and the backlog",
)
def status(
    principal: BacklogReader,
    api: APIDep,
    course_id: Annotated[str | None, Query(description="Only this course.")] = None,
    item_id: Annotated[str | None, Query(description="Only this item (needs course_id).")] = None,
) -> StatusOut:
    """Workflow counts by type and status, the oldest unfinished workflow of each type,
    queue lengths and live workers. Counts cover the courses the token reaches, narrowed
    to one course or item on request; queues and workers are the service's."""
    if item_id is not None and course_id is None:
        raise RequestError(
            "give course_id with item_id", field="course_id", code="rescheduling_invalid"
        )
    if course_id is not None:
        check_course(principal, course_id)
    return api.status(course_id, item_id, course_ids=principal.course_scope)


@router.post(
    "/courses/{course_id}/items/{item_id}/reschedule",
    response_model=Rescheduled,
    summary="Reschedule an item's unfinished work",
)
def reschedule_item(item: ItemRescheduler, api: APIDep, task_type: TaskType = "all") -> Rescheduled:
    """Queue the item's unfinished training and grading again, training first; failed
    workflows get a fresh set of attempts."""
    return api.reschedule_unfinished_tasks(item.course_id, item.item_id, task_type)


@router.post(
    "/courses/{course_id}/reschedule",
    response_model=Rescheduled,
    summary="Reschedule a course's unfinished work",
)
def reschedule_course(
    course: CourseRescheduler, api: APIDep, task_type: TaskType = "all"
) -> Rescheduled:
    """Queue every unfinished workflow of every item of the course again."""
    return api.reschedule_unfinished_tasks(course.course_id, None, task_type)
