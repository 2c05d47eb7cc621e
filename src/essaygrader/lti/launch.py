"""Checking a launch's claims, and what a checked launch opens: the user and course
mapping, the resource link, and the browser's session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from essaygrader.db.models import (
    LtiLinkRecord,
    LtiPlatformRecord,
    LtiSessionRecord,
    LtiUserRecord,
    utcnow,
)
from essaygrader.domain.validation import require_id
from essaygrader.errors import ForbiddenError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
# Course staff in LIS vocabulary: these roles get the staff dashboard; anyone else with
# Learner gets the student page.
STAFF_ROLES = ("#Instructor", "#TeachingAssistant", "#ContentDeveloper", "#Administrator")
LEARNER_ROLES = ("#Learner", "#Student")
STUDENT_ID_CLAIMS = ("sub", "email", "preferred_username")
SESSION_SECONDS = 8 * 3600
CODE = "lti_invalid"
LAUNCH = "lti_launch_invalid"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginRedirect:
    """Where to send the browser at login, and the state to bind to it by a cookie."""

    url: str
    state: str


@dataclass(frozen=True)
class Launch:
    """A verified launch: who, where, and the browser session opened for it."""

    role: Literal["student", "staff"]
    message_type: str
    course_id: str
    student_id: str
    item_id: str | None
    session: str
    sub: str


@dataclass(frozen=True)
class LtiSession:
    """A browser's session after a launch."""

    role: Literal["student", "staff"]
    course_id: str
    student_id: str
    item_id: str | None
    allow_resubmission: bool
    link_id: int | None
    lti_user_id: int
    platform_uuid: str
    deep_linking: dict[str, Any] | None


def check_claims(claims: dict[str, Any], nonce: str, client_id: str) -> None:
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and "azp" not in claims:
        raise ForbiddenError("azp is required with several audiences", code=LAUNCH)
    if "azp" in claims and claims["azp"] != client_id:
        raise ForbiddenError("azp is not this tool's client id", code=LAUNCH)
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise ForbiddenError("the nonce is not this login's", code=LAUNCH)
    if claims.get(LTI + "version") != "1.3.0":
        raise ForbiddenError("the LTI version must be 1.3.0", code=LAUNCH)
    if claims.get(LTI + "message_type") not in (RESOURCE_LINK, DEEP_LINKING):
        raise ForbiddenError(
            f"message type {claims.get(LTI + 'message_type')!r} is not supported",
            code=LAUNCH,
        )
    if not isinstance(claims.get(LTI + "roles"), list):
        raise ForbiddenError("the roles claim is missing", code=LAUNCH)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise ForbiddenError("the launch names no user (sub)", code=LAUNCH)


def open_session(session: Session, platform: LtiPlatformRecord, claims: dict[str, Any]) -> Launch:
    deployment = claims.get(LTI + "deployment_id")
    if deployment not in platform.deployment_ids:
        raise ForbiddenError(
            f"deployment {deployment!r} is not registered for this platform", code=LAUNCH
        )
    roles = [str(role) for role in claims[LTI + "roles"]]
    message_type = str(claims[LTI + "message_type"])
    role: Literal["student", "staff"]
    if any(r.endswith(STAFF_ROLES) for r in roles):
        role = "staff"
    elif any(r.endswith(LEARNER_ROLES) for r in roles):
        role = "student"
    else:
        raise ForbiddenError(
            "the launch has neither a learner nor a course staff role", code=LAUNCH
        )
    if message_type == DEEP_LINKING and role != "staff":
        raise ForbiddenError("only course staff may add essaygrader items", code=LAUNCH)
    context = claims.get(LTI + "context") or {}
    if not isinstance(context, dict) or not context.get("id"):
        raise ForbiddenError("the launch names no course (context)", code=LAUNCH)
    course_id = require_id(platform.course_prefix + str(context["id"]), "context", LAUNCH)
    student_id = claims.get(platform.student_id_claim)
    if not isinstance(student_id, str) or not student_id:
        raise ForbiddenError(
            f"the launch has no {platform.student_id_claim} claim to use as the student id",
            code=LAUNCH,
        )
    user = find_user(session, platform, str(claims["sub"]), student_id)
    link = None
    if message_type == RESOURCE_LINK:
        link = find_link(session, platform, claims, str(deployment), course_id)
    deep_linking = None
    if message_type == DEEP_LINKING:
        settings = claims.get(DL + "deep_linking_settings") or {}
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise ForbiddenError("the deep linking settings name no return URL", code=LAUNCH)
        deep_linking = {
            "return_url": str(settings["deep_link_return_url"]),
            "title": str(settings.get("title") or ""),
            "text": str(settings.get("text") or ""),
            "data": settings.get("data"),
            "deployment_id": str(deployment),
        }
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(LtiSessionRecord).where(LtiSessionRecord.expires_at < now))
    session.add(
        LtiSessionRecord(
            token_sha256=digest(token),
            lti_user_id=user.id,
            link_id=link.id if link else None,
            course_id=course_id,
            role=role,
            deep_linking=deep_linking,
            expires_at=now + timedelta(seconds=SESSION_SECONDS),
        )
    )
    return Launch(
        role=role,
        message_type=message_type,
        course_id=course_id,
        student_id=student_id,
        item_id=link.item_id if link else None,
        session=token,
        sub=user.sub,
    )


def find_user(
    session: Session, platform: LtiPlatformRecord, sub: str, student_id: str
) -> LtiUserRecord:
    user = session.scalars(
        select(LtiUserRecord).where(
            LtiUserRecord.platform_uuid == platform.uuid, LtiUserRecord.sub == sub
        )
    ).first()
    if user is None:
        user = LtiUserRecord(platform_uuid=platform.uuid, sub=sub, student_id=student_id)
        session.add(user)
    else:
        user.student_id = student_id
    session.flush()
    return user


def find_link(
    session: Session,
    platform: LtiPlatformRecord,
    claims: dict[str, Any],
    deployment: str,
    course_id: str,
) -> LtiLinkRecord | None:
    resource = claims.get(LTI + "resource_link") or {}
    if not isinstance(resource, dict) or not resource.get("id"):
        raise ForbiddenError("the launch names no resource link", code=LAUNCH)
    resource_id = str(resource["id"])
    ags = claims.get(AGS) or {}
    lineitem = ags.get("lineitem") if isinstance(ags, dict) else None
    custom = claims.get(LTI + "custom") or {}
    link = session.scalars(
        select(LtiLinkRecord).where(
            LtiLinkRecord.platform_uuid == platform.uuid,
            LtiLinkRecord.resource_link_id == resource_id,
        )
    ).first()
    if link is None:
        item_id = custom.get("essaygrader_item_id") if isinstance(custom, dict) else None
        if not item_id:
            return None  # a link no item was picked for: staff may set it up
        link = LtiLinkRecord(
            platform_uuid=platform.uuid,
            deployment_id=deployment,
            context_id=str((claims.get(LTI + "context") or {}).get("id")),
            resource_link_id=resource_id,
            course_id=course_id,
            item_id=str(item_id),
            allow_resubmission=str(custom.get("essaygrader_resubmission", "")) == "allowed",
        )
        session.add(link)
    if isinstance(lineitem, str) and lineitem:
        link.lineitem_url = lineitem
    session.flush()
    return link
