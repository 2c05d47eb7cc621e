"""Results of the course-platform integrations: LTI 1.3 registrations and tool keys, and
webhook endpoints with their deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

__all__ = [
    "LtiKeyRotated",
    "LtiPlatformOut",
    "LtiToolConfigOut",
    "WebhookDeliveryOut",
    "WebhookEndpointOut",
    "WebhookEvent",
]

_open = with_config(ConfigDict(extra="allow"))

WebhookEvent = Literal[
    "assessment.created", "assessment.released", "training.completed", "training.failed"
]


@_open
class LtiPlatformOut(TypedDict):
    uuid: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    keyset_url: str
    student_id_claim: Annotated[
        str, Field(description="The launch claim used as the student id: sub, email, ...")
    ]
    course_prefix: Annotated[str, Field(description="Put before the context id: the course id.")]
    created_at: str


@_open
class LtiToolConfigOut(TypedDict):
    """The tool's URLs, to paste into a platform's registration form."""

    login_url: str
    launch_url: str
    deep_linking_url: str
    jwks_url: str
    redirect_uris: str


@_open
class LtiKeyRotated(TypedDict):
    kid: Annotated[str, Field(description="The new signing key.")]
    retired: Annotated[list[str], Field(description="Still published for the grace period.")]


@_open
class WebhookEndpointOut(TypedDict):
    """An endpoint; its secret is never shown again after registration."""

    uuid: str
    course_id: str
    url: str
    events: list[WebhookEvent]
    created_at: str
    disabled: bool


@_open
class WebhookDeliveryOut(TypedDict):
    uuid: str
    endpoint_uuid: str
    event: WebhookEvent
    created_at: str
    attempts: int
    last_status: Annotated[int | None, Field(description="The endpoint's last HTTP status.")]
    last_error: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    gave_up_at: Annotated[str | None, Field(description="Set after a day of failures.")]
