"""Results of the student-data calls: erasing a student's work, purging old essay texts,
and reading the audit log of such actions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from essaygrader.contract.results import Page

__all__ = ["AuditAction", "AuditPage", "AuditRecordOut", "Erased", "TextsPurged"]

_open = with_config(ConfigDict(extra="allow"))

AuditAction = Literal["student_erased", "texts_purged", "token_created", "token_revoked"]


@_open
class Erased(TypedDict):
    course_id: str
    submissions: Annotated[int, Field(description="Submissions deleted, with their texts.")]
    assessments: int
    grading_workflows: int
    audit_uuid: Annotated[str, Field(description="The audit record of this erasure.")]


@_open
class TextsPurged(TypedDict):
    texts_purged: Annotated[int, Field(description="Essays whose text was removed.")]
    older_than_days: int
    audit_uuid: str | None


@_open
class AuditRecordOut(TypedDict):
    uuid: str
    at: str
    action: AuditAction
    actor: Annotated[str, Field(description="A token's name, or the command line or service.")]
    actor_token_uuid: str | None
    course_id: str | None
    subject: Annotated[
        str | None,
        Field(description="A token's uuid, or an erased student as a sha256 digest."),
    ]
    details: dict[str, Any]


@_open
class AuditPage(Page):
    audit_records: list[AuditRecordOut]
