"""What every schema shares: the error body, paging, and the two model bases.

Request models are strict (no coercion: ``"2"`` is not an integer, ``true`` is not a
number) and refuse unknown fields, like the Python API they feed. Response models let
unknown fields through, so the HTTP API never hides a field the Python API returns.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from essaygrader.api.base import MAX_OFFSET, MAX_PAGE


class RequestModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(ResponseModel):
    """Every error: a stable code for programs, a message for people, the field at fault."""

    code: str = Field(examples=["item_not_found"])
    message: str = Field(examples=["item_id: no item course-1/essay-9; create it first"])
    field: str | None = Field(examples=["item_id"])


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many entries to skip.")]
Limit = Annotated[
    int, Query(ge=1, le=MAX_PAGE, description=f"Entries per page, at most {MAX_PAGE}.")
]
