"""The backlog, rescheduling, and the health of the service."""

from __future__ import annotations

from typing import Literal

from essaygrader.web.schemas.common import RequestModel, ResponseModel


class RescheduleRequest(RequestModel):
    task_type: Literal["train", "grade", "all"] = "all"


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
