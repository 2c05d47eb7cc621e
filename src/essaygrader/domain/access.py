"""Who may call the service: roles, the courses a token is scoped to, and what each allows.

A token has one role. ``admin`` may do everything; ``staff`` manage items, training,
results, staff grading and review, and rescheduling of their courses; ``platform``
submit essays and read their current assessments in their courses; ``worker`` may do
nothing over the network (workers talk to the database and the broker directly). Staff
and platform tokens name at least one course, admin and worker tokens none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from essaygrader.domain.validation import require_id
from essaygrader.errors import RequestError

MAX_TOKEN_COURSES = 1000


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    PLATFORM = "platform"
    WORKER = "worker"

    @property
    def scoped(self) -> bool:
        """Whether tokens of this role are limited to named courses."""
        return self in (Role.STAFF, Role.PLATFORM)


class Permission(StrEnum):
    """One kind of request; routes name the permission they need."""

    READ_ITEMS = "read items"
    MANAGE_ITEMS = "create and change items"
    TRAIN = "train classifiers"
    READ_TRAINING = "read training and classifier sets"
    SUBMIT = "submit essays"
    READ_ASSESSMENTS = "read submissions and assessments"
    READ_RESULTS = "list submissions and results"
    GRADE = "grade submissions, review AI grades and read assessment histories"
    RESCHEDULE = "reschedule unfinished work"
    READ_BACKLOG = "read the backlog"
    READ_METRICS = "read service metrics"
    MANAGE_TOKENS = "create, list and revoke API tokens"
    ERASE_STUDENTS = "erase a student's submissions and assessments"
    READ_AUDIT = "read the audit log"
    MANAGE_INTEGRATIONS = "register course platforms (LTI) and webhooks"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.STAFF: frozenset(Permission)
    - {
        Permission.SUBMIT,
        Permission.READ_METRICS,
        Permission.MANAGE_TOKENS,
        Permission.READ_AUDIT,
        Permission.MANAGE_INTEGRATIONS,
    },
    Role.PLATFORM: frozenset({Permission.SUBMIT, Permission.READ_ASSESSMENTS}),
    Role.WORKER: frozenset(),
}


def parse_role(value: Any) -> Role:
    """A role by name.

    Raises:
        RequestError: ``access_invalid``; not one of the roles, naming ``role``.
    """
    try:
        return Role(value)
    except ValueError as exc:
        raise RequestError(
            f"unknown role {value!r}; use {', '.join(r.value for r in Role)}",
            field="role",
            code="access_invalid",
        ) from exc


def parse_courses(role: Role, courses: Iterable[Any]) -> list[str]:
    """The courses of a new token, checked against its role, sorted and without repeats.

    Raises:
        RequestError: ``access_invalid``; a scoped role without courses, an unscoped one with
            some, or
            an invalid course id, naming ``courses``.
    """
    parsed = sorted(
        {require_id(c, f"courses[{i}]", "access_invalid") for i, c in enumerate(courses)}
    )
    if role.scoped and not parsed:
        raise RequestError(
            f"{role.value} tokens need at least one course", field="courses", code="access_invalid"
        )
    if not role.scoped and parsed:
        raise RequestError(
            f"{role.value} tokens are not limited to courses; give none",
            field="courses",
            code="access_invalid",
        )
    if len(parsed) > MAX_TOKEN_COURSES:
        raise RequestError(
            f"names {len(parsed)} courses; the limit is {MAX_TOKEN_COURSES}",
            field="courses",
            code="access_invalid",
        )
    return parsed


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: its role and, for scoped roles, its courses."""

    token_uuid: str
    name: str
    role: Role
    courses: frozenset[str]

    def may(self, permission: Permission) -> bool:
        """Whether the role allows this kind of request at all."""
        return permission in ROLE_PERMISSIONS[self.role]

    def covers(self, course_id: str) -> bool:
        """Whether the token reaches ``course_id``."""
        return not self.role.scoped or course_id in self.courses

    @property
    def course_scope(self) -> list[str] | None:
        """The courses a list should be limited to; None means every course."""
        return sorted(self.courses) if self.role.scoped else None
