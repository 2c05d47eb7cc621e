"""Signed webhooks: a course's platform hears about assessments and training, no polling.

An admin registers an endpoint for a course (URL, secret, events among :data:`EVENTS`).
The transaction that records an assessment or ends a training writes one delivery per
endpoint that wants the event, and once it commits a ``webhook`` task naming them goes to
the queue (installed with :func:`essaygrader.lti.passback.watch`, like the passbacks).

A delivery is a JSON POST with the headers ``Essaygrader-Event``, ``Essaygrader-Delivery``
and ``Essaygrader-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the
secret>``. Any 2xx answer delivers it; otherwise it is retried with exponential backoff
for :data:`RETRY_FOR` and then given up, with its last status and attempts kept. An
endpoint's deliveries go out in the order they were made: a later one waits while an
earlier one is still being retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from essaygrader.api.records import current_assessment, internal_errors
from essaygrader.contract.integrations import WebhookDeliveryOut, WebhookEndpointOut, WebhookEvent
from essaygrader.db.models import (
    AssessmentRecord,
    SubmissionRecord,
    TrainingWorkflowRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    utcnow,
)
from essaygrader.db.session import Database
from essaygrader.domain.assessment import ReviewStatus
from essaygrader.domain.validation import require_id
from essaygrader.errors import NotFoundError, RequestError

log = logging.getLogger(__name__)

EVENTS = ("assessment.created", "assessment.released", "training.completed", "training.failed")
RETRY_FOR = timedelta(days=1)
FIRST_RETRY_SECONDS = 10.0
LONGEST_RETRY_SECONDS = 3600.0
TIMEOUT_SECONDS = 10.0
CODE = "webhook_invalid"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Essaygrader-Signature`` header's value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def endpoint_json(record: WebhookEndpointRecord) -> WebhookEndpointOut:
    """An endpoint as listed: never its secret."""
    return {
        "uuid": record.uuid,
        "course_id": record.course_id,
        "url": record.url,
        "events": [e for e in record.events if e in EVENTS],
        "created_at": record.created_at.isoformat(),
        "disabled": record.disabled_at is not None,
    }


def delivery_json(record: WebhookDeliveryRecord) -> WebhookDeliveryOut:
    return {
        "uuid": record.uuid,
        "endpoint_uuid": record.endpoint_uuid,
        "event": cast(WebhookEvent, record.event),
        "created_at": record.created_at.isoformat(),
        "attempts": record.attempts,
        "last_status": record.last_status,
        "last_error": record.last_error,
        "next_attempt_at": record.next_attempt_at.isoformat() if record.next_attempt_at else None,
        "delivered_at": record.delivered_at.isoformat() if record.delivered_at else None,
        "gave_up_at": record.gave_up_at.isoformat() if record.gave_up_at else None,
    }


class WebhooksAPI:
    """Registering endpoints and reading their deliveries."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def register_endpoint(
        self, course_id: str, url: str, secret: str, events: Sequence[str]
    ) -> WebhookEndpointOut:
        """Register an endpoint for a course's events.

        Raises:
            RequestError: ``webhook_invalid``; naming the field.
        """
        course_id = require_id(course_id, "course_id", CODE)
        url = require_id(url, "url", CODE)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RequestError("must be an http or https URL", field="url", code=CODE)
        secret = require_id(secret, "secret", CODE)
        if len(secret) < 16:
            raise RequestError("must be at least 16 characters", field="secret", code=CODE)
        chosen = list(dict.fromkeys(events))
        unknown = [e for e in chosen if e not in EVENTS]
        if not chosen or unknown:
            raise RequestError(
                f"choose among {', '.join(EVENTS)}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                field="events",
                code=CODE,
            )
        with (
            internal_errors("webhook_internal_error", "registering a webhook"),
            self.database.transaction() as session,
        ):
            record = WebhookEndpointRecord(
                course_id=course_id, url=url, secret=secret, events=chosen, created_at=utcnow()
            )
            session.add(record)
            session.flush()
            return endpoint_json(record)

    def list_endpoints(self, course_id: str | None = None) -> list[WebhookEndpointOut]:
        with self.database.transaction(read_only=True) as session:
            query = select(WebhookEndpointRecord).order_by(WebhookEndpointRecord.created_at)
            if course_id is not None:
                query = query.where(WebhookEndpointRecord.course_id == course_id)
            return [endpoint_json(r) for r in session.scalars(query)]

    def disable_endpoint(self, endpoint_uuid: str) -> WebhookEndpointOut:
        """Stop sending to an endpoint (deliveries not sent yet are given up).

        Raises:
            NotFoundError: ``webhook_not_found``; no such endpoint.
        """
        with self.database.transaction() as session:
            record = session.get(WebhookEndpointRecord, endpoint_uuid)
            if record is None:
                raise NotFoundError(
                    f"no webhook endpoint {endpoint_uuid}", code="webhook_not_found"
                )
            record.disabled_at = record.disabled_at or utcnow()
            return endpoint_json(record)

    def list_deliveries(
        self,
        endpoint_uuid: str | None = None,
        *,
        course_id: str | None = None,
        limit: int = 100,
    ) -> list[WebhookDeliveryOut]:
        """Deliveries of one endpoint, or of a course's endpoints, newest first."""
        query = select(WebhookDeliveryRecord)
        if endpoint_uuid is not None:
            query = query.where(WebhookDeliveryRecord.endpoint_uuid == endpoint_uuid)
        if course_id is not None:
            query = query.join(
                WebhookEndpointRecord,
                WebhookEndpointRecord.uuid == WebhookDeliveryRecord.endpoint_uuid,
            ).where(WebhookEndpointRecord.course_id == course_id)
        with self.database.transaction(read_only=True) as session:
            rows = session.scalars(query.order_by(WebhookDeliveryRecord.id.desc()).limit(limit))
            return [delivery_json(r) for r in rows]


# Writing deliveries, in the transaction of what happened


def record_events(
    session: Session,
    inserted_assessments: set[str],
    changed_assessments: set[str],
    trainings: set[str],
) -> list[str]:
    """Write the deliveries the transaction's assessments and trainings call for;
    returns their uuids. Nothing is read or written when no endpoint exists."""
    if session.scalars(select(WebhookEndpointRecord.uuid).limit(1)).first() is None:
        return []
    events: list[tuple[str, str, dict[str, Any]]] = []  # (course, event, payload)
    touched = inserted_assessments | changed_assessments
    if touched:
        records = session.scalars(
            select(AssessmentRecord).where(AssessmentRecord.uuid.in_(sorted(touched)))
        ).all()
        for record in sorted(records, key=lambda r: (r.scored_at, r.uuid)):
            submission = session.scalars(
                select(SubmissionRecord).where(SubmissionRecord.uuid == record.submission_uuid)
            ).one()
            payload = {
                "course_id": submission.course_id,
                "item_id": submission.item_id,
                "student_id": submission.student_id,
                "submission_uuid": submission.uuid,
                "assessment_uuid": record.uuid,
                "type": record.score_type,
                "review_status": record.review_status,
            }
            if record.uuid in inserted_assessments:
                events.append((submission.course_id, "assessment.created", payload))
            siblings = session.scalars(
                select(AssessmentRecord).where(
                    AssessmentRecord.submission_uuid == record.submission_uuid
                )
            ).all()
            current = current_assessment(siblings)
            released = record.review_status != ReviewStatus.PENDING.value
            if released and current is not None and current.uuid == record.uuid:
                events.append((submission.course_id, "assessment.released", payload))
    for uuid in sorted(trainings):
        workflow = session.get(TrainingWorkflowRecord, uuid)
        if workflow is None:
            continue
        payload = {
            "course_id": workflow.course_id,
            "item_id": workflow.item_id,
            "training_workflow_uuid": workflow.uuid,
        }
        if workflow.completed_at is not None:
            events.append((workflow.course_id, "training.completed", payload))
        elif workflow.failed_at is not None:
            events.append(
                (
                    workflow.course_id,
                    "training.failed",
                    {**payload, "error": workflow.last_error or ""},
                )
            )
    if not events:
        return []
    courses = sorted({course for course, _, _ in events})
    endpoints = session.scalars(
        select(WebhookEndpointRecord).where(
            WebhookEndpointRecord.course_id.in_(courses),
            WebhookEndpointRecord.disabled_at.is_(None),
        )
    ).all()
    made: list[WebhookDeliveryRecord] = []
    now = utcnow()
    for course, event, payload in events:
        for endpoint in endpoints:
            if endpoint.course_id == course and event in endpoint.events:
                made.append(
                    WebhookDeliveryRecord(
                        endpoint_uuid=endpoint.uuid,
                        event=event,
                        payload={"event": event, "at": now.isoformat(), "data": payload},
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
    session.add_all(made)
    session.flush()
    return [d.uuid for d in made]


# Sending, in a worker


@dataclass(frozen=True)
class DeliveryOutcome:
    """What a run did: the deliveries to send next, and whether (and when) to retry."""

    follow_up: list[str]
    retry_in: float | None = None


def retry_seconds(attempts: int, first: float = FIRST_RETRY_SECONDS) -> float:
    """Exponential backoff: ``first``, twice that, ... never above an hour."""
    return float(min(LONGEST_RETRY_SECONDS, first * 2 ** max(0, attempts - 1)))


def deliver(
    database: Database, delivery_uuids: Sequence[str], *, first_retry: float = FIRST_RETRY_SECONDS
) -> DeliveryOutcome:
    """Send the named deliveries that are next in their endpoint's order.

    A delivery behind an earlier one still pending is left for when that one is done;
    a delivered or given-up one is skipped (safe to run twice).
    """
    follow_up: list[str] = []
    retry_in: float | None = None
    for uuid in delivery_uuids:
        outcome = _deliver_one(database, uuid, first_retry)
        follow_up.extend(outcome.follow_up)
        if outcome.retry_in is not None:
            retry_in = outcome.retry_in if retry_in is None else min(retry_in, outcome.retry_in)
    return DeliveryOutcome(list(dict.fromkeys(follow_up)), retry_in)


def _deliver_one(database: Database, uuid: str, first_retry: float) -> DeliveryOutcome:
    with database.transaction(read_only=True) as session:
        delivery = session.scalars(
            select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.uuid == uuid)
        ).first()
        if delivery is None or delivery.delivered_at or delivery.gave_up_at:
            return DeliveryOutcome([])
        earlier = session.scalars(
            select(WebhookDeliveryRecord.uuid)
            .where(
                WebhookDeliveryRecord.endpoint_uuid == delivery.endpoint_uuid,
                WebhookDeliveryRecord.id < delivery.id,
                WebhookDeliveryRecord.delivered_at.is_(None),
                WebhookDeliveryRecord.gave_up_at.is_(None),
            )
            .limit(1)
        ).first()
        if earlier is not None:
            return DeliveryOutcome([])  # sent once the earlier one is done
        endpoint = session.get(WebhookEndpointRecord, delivery.endpoint_uuid)
        assert endpoint is not None
        body = json.dumps({"id": delivery.uuid, **delivery.payload}, separators=(",", ":")).encode()
        url, secret, event, disabled = (
            endpoint.url,
            endpoint.secret,
            delivery.event,
            endpoint.disabled_at is not None,
        )
        created_at, endpoint_uuid = delivery.created_at, delivery.endpoint_uuid
    status: int | None = None
    error: str | None = None
    delay = 0.0
    if disabled:
        error = "the endpoint was disabled"
    else:
        timestamp = int(time.time())
        try:
            response = httpx.post(
                url,
                content=body,
                timeout=TIMEOUT_SECONDS,
                headers={
                    "Content-Type": "application/json",
                    "Essaygrader-Event": event,
                    "Essaygrader-Delivery": uuid,
                    "Essaygrader-Signature": signature(secret, timestamp, body),
                },
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"answered {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
    now = utcnow()
    with database.transaction() as session:
        delivery = session.scalars(
            select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.uuid == uuid)
        ).one()
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        done = error is None
        if done:
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif disabled or now - created_at >= RETRY_FOR:
            delivery.gave_up_at = now
            delivery.next_attempt_at = None
            done = True
        else:
            delay = retry_seconds(delivery.attempts, first_retry)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        follow_up: list[str] = []
        if done:
            follow_up = list(
                session.scalars(
                    select(WebhookDeliveryRecord.uuid)
                    .where(
                        WebhookDeliveryRecord.endpoint_uuid == endpoint_uuid,
                        WebhookDeliveryRecord.id > delivery.id,
                        WebhookDeliveryRecord.delivered_at.is_(None),
                        WebhookDeliveryRecord.gave_up_at.is_(None),
                    )
                    .order_by(WebhookDeliveryRecord.id)
                    .limit(1)
                )
            )
    if error is not None:
        log.warning("webhook delivery %s (%s) to %s failed: %s", uuid, event, url, error)
    return DeliveryOutcome(follow_up, None if done else delay)


def due_deliveries(database: Database, limit: int = 5000) -> list[str]:
    """Deliveries neither delivered nor given up, first of each endpoint first."""
    with database.transaction(read_only=True) as session:
        return list(
            session.scalars(
                select(WebhookDeliveryRecord.uuid)
                .where(
                    WebhookDeliveryRecord.delivered_at.is_(None),
                    WebhookDeliveryRecord.gave_up_at.is_(None),
                )
                .order_by(WebhookDeliveryRecord.id)
                .limit(limit)
            )
        )
