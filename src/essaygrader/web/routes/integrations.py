"""Course platforms: LTI 1.3 registrations and tool keys, and webhook endpoints (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from essaygrader.contract.integrations import (
    LtiKeyRotated,
    LtiPlatformOut,
    LtiToolConfigOut,
    WebhookDeliveryOut,
    WebhookEndpointOut,
)
from essaygrader.web.access import CourseIntegrationsManager, IntegrationsManager
from essaygrader.web.deps import RuntimeDep
from essaygrader.web.schemas.common import Limit
from essaygrader.web.schemas.integrations import PlatformRegistration, WebhookRegistration

router = APIRouter()


@router.post(
    "/lti/platforms",
    response_model=LtiPlatformOut,
    status_code=201,
    tags=["lti"],
    summary="Register a course platform (LTI 1.3)",
)
def register_platform(
    _admin: IntegrationsManager, body: PlatformRegistration, runtime: RuntimeDep
) -> LtiPlatformOut:
    """Register a platform by issuer and client id, or add deployment ids to one
    registered already."""
    return runtime.lti.register_platform(**body.model_dump())


@router.get(
    "/lti/platforms",
    response_model=list[LtiPlatformOut],
    tags=["lti"],
    summary="The registered course platforms",
)
def list_platforms(_admin: IntegrationsManager, runtime: RuntimeDep) -> list[LtiPlatformOut]:
    return runtime.lti.list_platforms()


@router.get(
    "/lti/config",
    response_model=LtiToolConfigOut,
    tags=["lti"],
    summary="The tool's URLs to give a platform",
)
def tool_config(_admin: IntegrationsManager, runtime: RuntimeDep) -> LtiToolConfigOut:
    return runtime.lti.tool_config()


@router.post(
    "/lti/keys/rotate",
    response_model=LtiKeyRotated,
    tags=["lti"],
    summary="Make a new signing key for the LTI tool",
)
def rotate_key(_admin: IntegrationsManager, runtime: RuntimeDep) -> LtiKeyRotated:
    """The old key stays published at /lti/jwks for ``lti_key_grace_hours``."""
    return runtime.lti.rotate_key()


@router.post(
    "/courses/{course_id}/webhooks",
    response_model=WebhookEndpointOut,
    status_code=201,
    tags=["webhooks"],
    summary="Register a webhook endpoint for a course",
)
def register_webhook(
    course: CourseIntegrationsManager, body: WebhookRegistration, runtime: RuntimeDep
) -> WebhookEndpointOut:
    """Deliveries are POSTed as JSON, signed in ``Essaygrader-Signature``."""
    return runtime.webhooks.register_endpoint(
        course.course_id, body.url, body.secret, list(body.events)
    )


@router.get(
    "/courses/{course_id}/webhooks",
    response_model=list[WebhookEndpointOut],
    tags=["webhooks"],
    summary="A course's webhook endpoints",
)
def list_webhooks(
    course: CourseIntegrationsManager, runtime: RuntimeDep
) -> list[WebhookEndpointOut]:
    return runtime.webhooks.list_endpoints(course.course_id)


@router.get(
    "/courses/{course_id}/webhook-deliveries",
    response_model=list[WebhookDeliveryOut],
    tags=["webhooks"],
    summary="The deliveries to a course's webhook endpoints, newest first",
)
def list_deliveries(
    course: CourseIntegrationsManager, runtime: RuntimeDep, limit: Limit = 100
) -> list[WebhookDeliveryOut]:
    """Attempts, the last status and error, and when each was delivered or given up."""
    return runtime.webhooks.list_deliveries(course_id=course.course_id, limit=limit)
