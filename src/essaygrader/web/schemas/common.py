"""What every schema shares: the error body, paging, and the two model bases.

Request models are strict (no coercion: ``"2"`` is not an integer, ``true`` is not a
number) and refuse unknown fields, like the Python API they feed. Response models let
unknown fields through, so the HTTP API never hides a field the Python API returns.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query
from pydantic import BaseModel, ConfigDict, Field

from essaygrader.api.base import MAX_OFFSET, MAX_PAGE
from essaygrader.api.idempotency import KEY_PATTERN, MAX_KEY_CHARS


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
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_CHARS,
        pattern=KEY_PATTERN,
        description="Makes a retry safe: a request repeated with the same key (by the same "
        "token, within 24 hours) is answered the first response, status and body, and "
        "stores nothing again; the same key with another body is refused (422). A UUID "
        "per request is a good key.",
    ),
]
