"""Idempotency keys: a request retried with the same key is answered as the first time.

A client that timed out cannot tell whether its submission was stored; sending it again
with the same ``Idempotency-Key`` is safe. The key is claimed inside the transaction that
creates the request's records, and the response is stored in that same transaction, so a
crash leaves either both or neither. A retry finds the stored response and gets it back
(same status, same body) without creating anything; the same key with another request
is refused, naming the key, since answering it would hide that the second request was
never carried out.

Keys belong to one token (in-process callers share one owner) and one operation
(``submit``, ``submit_many``, ``train_classifiers``); the request they stand for
includes the course and item. They are kept at least ``idempotency_key_hours`` (24) and
purged by workers' housekeeping after that. A request that failed stores nothing: its
retry is carried out afresh.

Two retries racing each other are serialised by the key's unique index: on PostgreSQL
the second waits at its claim until the first commits, then replays its response.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from essaygrader.db.models import IdempotencyKeyRecord
from essaygrader.errors import ConflictError, RequestError

HEADER = "Idempotency-Key"
MAX_KEY_CHARS = 255
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)


def check_key(key: Any, field: str = HEADER) -> str:
    """An idempotency key: 1 to 255 visible ASCII characters (a UUID is a good one).

    Raises:
        RequestError: ``idempotency_key_invalid``; naming ``field``.
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise RequestError(
            f"must be 1 to {MAX_KEY_CHARS} visible ASCII characters, such as a UUID",
            field=field,
            code="idempotency_key_invalid",
        )
    return key


@dataclass(frozen=True)
class Idempotency:
    """One keyed request: who sent it, to which operation, and what it asked for."""

    key: str
    owner: str
    operation: str
    request_sha256: str

    @classmethod
    def of(cls, key: str | None, owner: str, operation: str, request: Any) -> Idempotency | None:
        """The keyed request, or None when no key was sent.

        Args:
            request: Everything the operation was asked, course and item included; its
                canonical JSON is what "the same request" compares.

        Raises:
            RequestError: ``idempotency_key_invalid``; a malformed key.
        """
        if key is None:
            return None
        canonical = json.dumps(
            request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr
        )
        digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
        return cls(check_key(key), owner, operation, digest)

    def replay(self, session: Session) -> Any | None:
        """The stored response of an earlier request with this key, or None after
        claiming the key for this one (in ``session``'s transaction).

        Raises:
            RequestError: ``idempotency_key_reused``; the key came with another request.
        """
        found = self._find(session)
        if found is None:
            claim = IdempotencyKeyRecord(
                owner=self.owner,
                operation=self.operation,
                key=self.key,
                request_sha256=self.request_sha256,
            )
            try:
                with session.begin_nested():
                    session.add(claim)
                    session.flush()
                return None
            except IntegrityError:
                # Another request with this key committed while we looked: answer as it.
                found = self._find(session)
                if found is None:
                    raise
        if found.request_sha256 != self.request_sha256:
            raise RequestError(
                f"was already used with another {self.operation} request; send a new key "
                "for a new request, and the same key only to retry the same one",
                field=HEADER,
                code="idempotency_key_reused",
            )
        if found.response is None:
            raise ConflictError(
                "a request with this key is still being carried out; retry shortly",
                field=HEADER,
                code="idempotency_key_in_use",
            )
        return found.response

    def record(self, session: Session, response: Any) -> None:
        """Store the response of the request that claimed the key."""
        claim = self._find(session)
        assert claim is not None, "replay() claims the key before the work is done"
        claim.response = response
        session.flush()

    def _find(self, session: Session) -> IdempotencyKeyRecord | None:
        return session.scalar(
            select(IdempotencyKeyRecord).where(
                IdempotencyKeyRecord.owner == self.owner,
                IdempotencyKeyRecord.operation == self.operation,
                IdempotencyKeyRecord.key == self.key,
            )
        )


def purge_keys(session: Session, created_before: datetime) -> int:
    """Forget keys created before ``created_before``; returns how many."""
    result = session.execute(
        delete(IdempotencyKeyRecord).where(IdempotencyKeyRecord.created_at < created_before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
