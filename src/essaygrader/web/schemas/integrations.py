"""Registering a course platform (LTI 1.3) or a webhook endpoint over HTTP."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from essaygrader.contract.integrations import WebhookEvent
from essaygrader.domain.validation import MAX_ID_CHARS
from essaygrader.web.schemas.common import RequestModel

Url = Field(min_length=1, max_length=1000)


class PlatformRegistration(RequestModel):
    issuer: str = Field(min_length=1, max_length=MAX_ID_CHARS, description="The platform's iss.")
    client_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    deployment_ids: list[str] = Field(min_length=1, max_length=100)
    auth_login_url: str = Url
    auth_token_url: str = Url
    keyset_url: str = Url
    student_id_claim: Literal["sub", "email", "preferred_username"] = "sub"
    course_prefix: str = Field(default="", max_length=100)


class WebhookRegistration(RequestModel):
    url: str = Url
    secret: str = Field(
        min_length=16, max_length=255, description="Signs every delivery (HMAC-SHA256)."
    )
    events: list[WebhookEvent] = Field(min_length=1, max_length=4)
