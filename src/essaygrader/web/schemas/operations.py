"""The backlog, rescheduling, and the health of the service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from essaygrader.web.schemas.common import RequestModel, ResponseModel
from essaygrader.web.schemas.training import ClassifierSetOut


class RescheduleRequest(RequestModel):
    task_type: Literal["train", "grade", "all"] = "all"


class Rescheduled(ResponseModel):
    training_scheduled: int
    grading_scheduled: int
    grading_waiting: int = Field(description="Still without classifiers: they keep waiting.")


class WorkflowCounts(ResponseModel):
    waiting: int
    scheduled: int
    failed: int
    complete: int


class WorkflowCountsByType(ResponseModel):
    train: WorkflowCounts
    grade: WorkflowCounts


class OldestUnfinished(ResponseModel):
    uuid: str
    created_at: str
    age_seconds: float


class OldestByType(ResponseModel):
    train: OldestUnfinished | None
    grade: OldestUnfinished | None


class WorkerOut(ResponseModel):
    name: str
    queues: list[str]
    started_at: str
    last_seen: str


class StatusOut(ResponseModel):
    workflows: WorkflowCountsByType
    oldest_unfinished: OldestByType
    workers: list[WorkerOut]
    queues: dict[str, int | None] = Field(description="Null where the broker cannot tell.")
    classifier_set: ClassifierSetOut | None = Field(
        default=None, description="Only for one item: the set that grades it now."
    )


class Health(ResponseModel):
    status: Literal["ok"]


class Check(ResponseModel):
    ok: bool
    detail: str


class Checks(ResponseModel):
    database: Check
    broker: Check
    storage: Check


class ReadinessOut(ResponseModel):
    ready: bool
    checks: Checks
