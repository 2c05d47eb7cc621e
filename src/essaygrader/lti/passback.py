"""Sending scores back to the course platform (LTI Assignment and Grade Services).

A submission made through a launch has a row in ``lti_passbacks``. Whenever one of its
assessments is written or changes (an AI grade recorded released or held, a review
confirmed, a staff grade), the transaction marks the row due and, once it commits, a
``passback`` task naming the submission goes to the queue (see :mod:`.events`: the
grading and review code need not know about LTI).

The task sends what the platform should show now: ``FullyGraded`` with the current
assessment's points, ``PendingManual`` (no score) while the AI grade is held for review,
``Pending`` before any grade. The last state the platform accepted is kept, so a second
run sends nothing (idempotent); a failure is kept on the row with the attempts, and the
task is retried with backoff, then left due for ``reschedule``.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from essaygrader.api.queue import TaskQueue, enqueue_after_commit
from essaygrader.api.records import (
    assessment_of,
    assessments_of_submissions,
    current_assessment,
)
from essaygrader.config import Settings
from essaygrader.db.models import (
    AssessmentRecord,
    LtiLinkRecord,
    LtiPassbackRecord,
    LtiPlatformRecord,
    LtiUserRecord,
    utcnow,
)
from essaygrader.db.session import Database
from essaygrader.domain.assessment import ReviewStatus
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import InternalError
from essaygrader.lti import keys
from essaygrader.lti.jose import HTTP_TIMEOUT_SECONDS, sign

log = logging.getLogger(__name__)

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ERROR_CHARS = 2000


def mark_due(
    session: Session, submission_uuids: Sequence[str], task_queue: TaskQueue | None
) -> list[str]:
    """Mark the submissions' passbacks due, and send their task to ``task_queue`` once the
    transaction commits. Returns the submissions marked."""
    due = list(
        session.scalars(
            select(LtiPassbackRecord.submission_uuid).where(
                LtiPassbackRecord.submission_uuid.in_(list(submission_uuids))
            )
        )
    )
    if not due:
        return []
    session.execute(
        update(LtiPassbackRecord).where(LtiPassbackRecord.submission_uuid.in_(due)).values(due=True)
    )
    if task_queue is not None:
        enqueue_after_commit(session, task_queue, TaskType.PASSBACK, due)
    return due


def due_passbacks(database: Database, limit: int = 5000) -> list[str]:
    """Submissions whose score is owed to their platform (for ``reschedule``)."""
    with database.transaction(read_only=True) as session:
        return list(
            session.scalars(
                select(LtiPassbackRecord.submission_uuid)
                .where(LtiPassbackRecord.due.is_(True))
                .order_by(LtiPassbackRecord.created_at)
                .limit(limit)
            )
        )


class AccessTokens:
    """AGS access tokens by (token URL, client id), kept until shortly before expiry."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, settings: Settings, database: Database, platform: dict[str, str]) -> str:
        """A bearer token for the score scope, from the platform's token endpoint.

        Raises:
            InternalError: ``lti_passback_failed``; the platform refused or did not answer.
        """
        cache_key = (platform["auth_token_url"], platform["client_id"])
        with self._lock:
            expires, token = self._tokens.get(cache_key, (0.0, ""))
        if token and time.monotonic() < expires:
            return token
        with database.transaction() as session:
            key = keys.signing_key(session)
            pem, kid = key.private_key_pem, key.kid
        now = int(time.time())
        assertion = sign(
            {
                "iss": platform["client_id"],
                "sub": platform["client_id"],
                "aud": platform["auth_token_url"],
                "iat": now,
                "exp": now + 300,
                "jti": secrets.token_urlsafe(16),
            },
            pem,
            kid,
        )
        response = _call(
            "post",
            platform["auth_token_url"],
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
                "scope": SCORE_SCOPE,
            },
        )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise InternalError(
                "the platform's token endpoint answered no access token",
                code="lti_passback_failed",
                retryable=True,
            ) from exc
        with self._lock:
            self._tokens[cache_key] = (time.monotonic() + max(0.0, lifetime - 60), token)
        return token


ACCESS_TOKENS = AccessTokens()


def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = httpx.request(method, url, timeout=HTTP_TIMEOUT_SECONDS, **kwargs)
    except httpx.HTTPError as exc:
        raise InternalError(
            f"cannot reach {url}: {type(exc).__name__}: {exc}",
            code="lti_passback_failed",
            retryable=True,
        ) from exc
    if response.status_code >= 400:
        raise InternalError(
            f"{url} answered {response.status_code}: {response.text[:300]}",
            code="lti_passback_failed",
            # A platform refusing the request itself will refuse it again.
            retryable=response.status_code >= 500 or response.status_code in (401, 408, 429),
        )
    return response


def scores_url(lineitem_url: str) -> str:
    """The line item's scores endpoint: ``/scores`` after its path, before any query."""
    path, sep, query = lineitem_url.partition("?")
    return f"{path.rstrip('/')}/scores{sep}{query}"


def score_of(
    submission_uuid: str, records: Iterable[AssessmentRecord]
) -> tuple[str, dict[str, Any]]:
    """What the platform should show for a submission now, and a key naming it."""
    ordered = list(records)
    record = current_assessment(ordered)
    current = assessment_of(record) if record is not None else None
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if current is not None:
        return f"{current.uuid}:FullyGraded", {
            "scoreGiven": current.points_earned,
            "scoreMaximum": current.points_possible,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": now,
            **({"comment": current.overall_feedback} if current.overall_feedback else {}),
        }
    held = any(r.review_status == ReviewStatus.PENDING.value for r in ordered)
    progress = "PendingManual" if held else "Pending"
    return f"{submission_uuid}:{progress}", {
        "activityProgress": "Submitted",
        "gradingProgress": progress,
        "timestamp": now,
    }


def send_scores(settings: Settings, database: Database, submission_uuids: Sequence[str]) -> None:
    """Send each due submission's score to its line item; skip what was sent already.

    Raises:
        InternalError: ``lti_passback_failed``; one failed and may succeed on a retry
            (the others were sent; each failure is kept on its row).
    """
    failures: list[InternalError] = []
    for uuid in submission_uuids:
        try:
            _send_one(settings, database, uuid)
        except InternalError as exc:
            failures.append(exc)
    if failures:
        retryable = any(f.retryable for f in failures)
        raise InternalError(
            f"{len(failures)} passback(s) failed; first: {failures[0]}",
            code="lti_passback_failed",
            retryable=retryable,
        ) from failures[0]


def _send_one(settings: Settings, database: Database, uuid: str) -> None:
    with database.transaction(read_only=True) as session:
        row = session.get(LtiPassbackRecord, uuid)
        if row is None or not row.due:
            return
        link = session.get(LtiLinkRecord, row.link_id)
        user = session.get(LtiUserRecord, row.lti_user_id)
        assert link is not None
        assert user is not None
        platform = session.get(LtiPlatformRecord, link.platform_uuid)
        assert platform is not None
        key, score = score_of(uuid, assessments_of_submissions(session, [uuid])[uuid])
        lineitem, sent_key, sub = link.lineitem_url, row.sent_key, user.sub
        target = {"auth_token_url": platform.auth_token_url, "client_id": platform.client_id}
    if key == sent_key:
        _finish(database, uuid, sent_key=key, error=None, counted=False)
        return
    if not lineitem:
        _finish(database, uuid, sent_key=sent_key, error="the link has no AGS line item")
        return
    try:
        token = ACCESS_TOKENS.get(settings, database, target)
        _call(
            "post",
            scores_url(lineitem),
            json={"userId": sub, **score},
            headers={"Authorization": f"Bearer {token}", "Content-Type": SCORE_MEDIA_TYPE},
        )
    except InternalError as exc:
        log.warning("passback of submission %s failed: %s", uuid, exc)
        _finish(database, uuid, sent_key=sent_key, error=str(exc), keep_due=True)
        raise
    log.info("sent %s of submission %s to its platform", score["gradingProgress"], uuid)
    _finish(database, uuid, sent_key=key, error=None)


def _finish(
    database: Database,
    uuid: str,
    *,
    sent_key: str | None,
    error: str | None,
    keep_due: bool = False,
    counted: bool = True,
) -> None:
    now = utcnow()
    with database.transaction() as session:
        row = session.get(LtiPassbackRecord, uuid)
        if row is None:
            return
        if counted:
            row.attempts += 1
            row.last_attempt_at = now
            row.last_error = error[:MAX_ERROR_CHARS] if error else None
        if sent_key != row.sent_key and error is None:
            row.sent_at = now
        row.sent_key = sent_key
        # An assessment written since this run read the submission keeps it due: the
        # task that assessment sent must find something to do.
        current, _ = score_of(uuid, assessments_of_submissions(session, [uuid])[uuid])
        row.due = keep_due or current != sent_key


def passback_json(row: LtiPassbackRecord) -> dict[str, Any]:
    return {
        "submission_uuid": row.submission_uuid,
        "due": row.due,
        "sent": row.sent_key.rsplit(":", 1)[-1] if row.sent_key else None,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "attempts": row.attempts,
        "last_error": row.last_error,
    }
