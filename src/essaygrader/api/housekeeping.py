"""Housekeeping that workers run now and then: forget idempotency keys past their time,
and, when a retention period is set, purge old essay texts while keeping their scores.

The purge empties a submission's text and answer and stamps ``text_purged_at``; the
submission, its workflow and its assessments stay, so results and statistics do not
change. Only essays whose grading is finished are purged: one still waiting or failed
keeps its text until it is graded (or erased), since grading needs it. Each batch of
purged texts writes an audit record (a count, no text) in its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update

from essaygrader.api.audit import record_audit
from essaygrader.api.idempotency import purge_keys
from essaygrader.api.records import internal_errors
from essaygrader.config import Settings
from essaygrader.contract import TextsPurged
from essaygrader.db import workflows
from essaygrader.db.models import GradingWorkflowRecord, SubmissionRecord, utcnow
from essaygrader.db.session import Database
from essaygrader.domain.audit import SERVICE, Actor, AuditAction
from essaygrader.errors import RequestError

log = logging.getLogger(__name__)

PURGE_BATCH = 2000


class Housekeeping:
    """Retention of idempotency keys and essay texts.

    Args:
        settings: ``idempotency_key_hours`` and ``essay_retention_days``.
        database: Where the records live.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        chores: Mapping[str, Callable[[], int]] | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.chores = dict(chores or {})

    def run(self) -> dict[str, int]:
        """Everything due now: ``{"idempotency_keys": n, "texts_purged": n}``, and what
        each of the ``chores`` (layers above this one, such as the LTI tool's expired
        dashboard tokens) did, by name."""
        keys = self.purge_idempotency_keys()
        texts = 0
        if self.settings.essay_retention_days:
            texts = self.purge_texts()["texts_purged"]
        if keys or texts:
            log.info(
                "housekeeping: %d idempotency keys forgotten, %d essay texts purged", keys, texts
            )
        done = {"idempotency_keys": keys, "texts_purged": texts}
        for name, chore in self.chores.items():
            done[name] = chore()
        return done

    def purge_idempotency_keys(self, *, now: datetime | None = None) -> int:
        """Forget keys older than ``idempotency_key_hours``; returns how many."""
        cutoff = (now or utcnow()) - timedelta(hours=self.settings.idempotency_key_hours)
        with (
            internal_errors("housekeeping_internal_error", "forgetting idempotency keys"),
            self.database.transaction() as session,
        ):
            return purge_keys(session, cutoff)

    def purge_texts(
        self,
        older_than_days: int | None = None,
        *,
        actor: Actor = SERVICE,
        now: datetime | None = None,
    ) -> TextsPurged:
        """Remove the texts of graded essays submitted more than ``older_than_days`` ago
        (by default the ``essay_retention_days`` setting), keeping their scores.

        Raises:
            RequestError: ``retention_invalid``; no period given and none set, or one below 1.
        """
        days = (
            older_than_days if older_than_days is not None else self.settings.essay_retention_days
        )
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise RequestError(
                "give a retention period of 1 day or more (or set essay_retention_days)",
                field="older_than_days",
                code="retention_invalid",
            )
        now = now or utcnow()
        cutoff = now - timedelta(days=days)
        unfinished = exists().where(
            GradingWorkflowRecord.submission_uuid == SubmissionRecord.uuid,
            workflows.unfinished(GradingWorkflowRecord),
        )
        due = (
            select(SubmissionRecord.id)
            .where(
                SubmissionRecord.created_at < cutoff,
                SubmissionRecord.text_purged_at.is_(None),
                ~unfinished,
            )
            .order_by(SubmissionRecord.created_at)
            .limit(PURGE_BATCH)
        )
        purged = 0
        audit_uuid: str | None = None
        while True:
            with (
                internal_errors("housekeeping_internal_error", "purging essay texts"),
                self.database.transaction() as session,
            ):
                ids = list(session.scalars(due))
                if not ids:
                    break
                session.execute(
                    update(SubmissionRecord)
                    .where(SubmissionRecord.id.in_(ids))
                    .values(text="", answer="", signature=None, text_purged_at=now)
                )
                audit_uuid = record_audit(
                    session,
                    actor,
                    AuditAction.TEXTS_PURGED,
                    details={"texts_purged": len(ids), "older_than_days": days},
                )
            purged += len(ids)
            if len(ids) < PURGE_BATCH:
                break
        return {"texts_purged": purged, "older_than_days": days, "audit_uuid": audit_uuid}
