"""Courses and items: create, change, read and list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from essaygrader.contract import CoursesPage, ItemOut, ItemsPage
from essaygrader.web.access import (
    CourseItemManager,
    ItemManager,
    ItemReader,
    ItemsLister,
    check_course,
)
from essaygrader.web.deps import APIDep
from essaygrader.web.schemas.common import Limit, Offset
from essaygrader.web.schemas.items import ItemCreate, ItemUpdate

router = APIRouter(tags=["items"])


@router.get("/courses", response_model=CoursesPage, summary="Courses and their item counts")
def list_courses(
    principal: ItemsLister, api: APIDep, offset: Offset = 0, limit: Limit = 100
) -> CoursesPage:
    """Every course with items; for a course-scoped token, exactly its courses."""
    return api.list_courses(offset=offset, limit=limit, course_ids=principal.course_scope)


@router.get("/items", response_model=ItemsPage, summary="List items")
def list_items(
    principal: ItemsLister,
    api: APIDep,
    course_id: Annotated[str | None, Query(description="Only this course's items.")] = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> ItemsPage:
    """Items ordered by course and id, limited to the courses the token reaches."""
    if course_id is not None:
        check_course(principal, course_id)
    return api.list_items(course_id, offset=offset, limit=limit, course_ids=principal.course_scope)


@router.post(
    "/courses/{course_id}/items", status_code=201, response_model=ItemOut, summary="Create an item"
)
def create_item(course: CourseItemManager, body: ItemCreate, api: APIDep) -> ItemOut:
    """Create an item (a question of the course) with its rubric."""
    return api.create_item(
        course.course_id,
        body.item_id,
        body.rubric.model_dump(),
        prompt=body.prompt,
        algorithm_id=body.algorithm_id,
        published=body.published,
        min_qwk=body.min_qwk,
        review_policy=body.review_policy,
        review_confidence_below=body.review_confidence_below,
    )


@router.get("/courses/{course_id}/items/{item_id}", response_model=ItemOut, summary="Get an item")
def get_item(item: ItemReader, api: APIDep) -> ItemOut:
    """An item and its rubric."""
    return api.get_item(item.course_id, item.item_id)


@router.patch(
    "/courses/{course_id}/items/{item_id}", response_model=ItemOut, summary="Change an item"
)
def update_item(item: ItemManager, body: ItemUpdate, api: APIDep) -> ItemOut:
    """Change an item; fields left out stay as they are.

    Changing the criteria, options or points of a trained rubric is refused (409) for a
    published item, and accepted with a warning to retrain for a draft.
    """
    return api.update_item(item.course_id, item.item_id, **body.model_dump(exclude_unset=True))
