"""API tokens: created with a role and courses, shown once, stored as their sha256.

A token is 256 random bits; hashing it with sha256 (no salt, no slow hash) is enough
because it cannot be guessed, and it lets a request's token be found by one indexed
lookup. The token itself is never stored or logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from essaygrader.api.audit import record_audit
from essaygrader.api.records import internal_errors, iso
from essaygrader.db.models import ApiTokenRecord, utcnow
from essaygrader.db.session import Database
from essaygrader.domain.access import Principal, Role, parse_courses, parse_role
from essaygrader.domain.audit import IN_PROCESS, Actor, AuditAction
from essaygrader.domain.validation import require_id
from essaygrader.errors import ForbiddenError, NotFoundError, RequestError

log = logging.getLogger(__name__)

TOKEN_PREFIX = "eg_"  # noqa: S105 - a marker that makes tokens recognisable, not a secret
MAX_NAME_CHARS = 100
# Longer than any token we issue; refusing longer input bounds the work per request.
MAX_TOKEN_CHARS = 200


def token_digest(token: str) -> str:
    """The sha256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccessTokensAPI:
    """Create, list, revoke and check API tokens.

    Args:
        database: Where token digests live.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def create_token(
        self, name: str, role: str, courses: Iterable[str] = (), *, actor: Actor = IN_PROCESS
    ) -> dict[str, Any]:
        """Create a token; the result's ``token`` is the only time it is shown.

        Args:
            actor: Who created it, for the audit log (never the token itself).

        Raises:
            RequestError: ``access_invalid``; an invalid name, role or course list, naming the
                field.
        """
        name = require_id(name, "name", "access_invalid")
        if len(name) > MAX_NAME_CHARS:
            raise RequestError(
                f"must be at most {MAX_NAME_CHARS} characters", field="name", code="access_invalid"
            )
        parsed_role = parse_role(role)
        parsed_courses = parse_courses(parsed_role, courses)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with (
            internal_errors("access_internal_error", "creating a token"),
            self.database.transaction() as session,
        ):
            record = ApiTokenRecord(
                name=name,
                role=parsed_role.value,
                courses=parsed_courses,
                token_sha256=token_digest(token),
            )
            session.add(record)
            session.flush()
            created = _token_json(record)
            record_audit(
                session,
                actor,
                AuditAction.TOKEN_CREATED,
                subject=record.uuid,
                details={"name": name, "role": parsed_role.value, "courses": parsed_courses},
            )
        log.info("created %s token %s (%s)", parsed_role.value, created["uuid"], name)
        return {**created, "token": token}

    def list_tokens(self, *, include_revoked: bool = False) -> list[dict[str, Any]]:
        """Every token's name, role, courses and dates (never the token), oldest first."""
        query = select(ApiTokenRecord).order_by(ApiTokenRecord.created_at, ApiTokenRecord.uuid)
        if not include_revoked:
            query = query.where(ApiTokenRecord.revoked_at.is_(None))
        with (
            internal_errors("access_internal_error", "listing tokens"),
            self.database.transaction(read_only=True) as session,
        ):
            return [_token_json(record) for record in session.scalars(query)]

    def has_tokens(self) -> bool:
        """Whether any token was ever created (revoked ones count)."""
        with (
            internal_errors("access_internal_error", "reading tokens"),
            self.database.transaction(read_only=True) as session,
        ):
            return session.scalar(select(ApiTokenRecord.uuid).limit(1)) is not None

    def revoke_token(self, token_uuid: str, *, actor: Actor = IN_PROCESS) -> dict[str, Any]:
        """Revoke a token at once; revoking twice keeps the first revocation time.

        Args:
            actor: Who revoked it, for the audit log (a second revocation adds nothing).

        Raises:
            NotFoundError: ``token_not_found``; no token has this id.
        """
        uuid = require_id(token_uuid, "token_uuid", "access_invalid")
        with (
            internal_errors("access_internal_error", f"revoking token {uuid}"),
            self.database.transaction() as session,
        ):
            record = session.get(ApiTokenRecord, uuid)
            if record is None:
                raise NotFoundError(
                    f"no token {uuid!r}", field="token_uuid", code="token_not_found"
                )
            if record.revoked_at is None:
                record.revoked_at = utcnow()
                record_audit(
                    session,
                    actor,
                    AuditAction.TOKEN_REVOKED,
                    subject=record.uuid,
                    details={"name": record.name, "role": record.role},
                )
            session.flush()
            return _token_json(record)

    def authenticate(self, token: str | None) -> Principal:
        """The principal holding ``token``.

        Raises:
            ForbiddenError: ``unauthenticated``; no token, an unknown one or a revoked one; the
                message does not say which, so it tells a guesser nothing.
        """
        if not token:
            raise ForbiddenError(
                "this request needs an API token: send 'Authorization: Bearer <token>'",
                code="unauthenticated",
            )
        if len(token) > MAX_TOKEN_CHARS:
            raise ForbiddenError("the API token is invalid or was revoked", code="unauthenticated")
        with (
            internal_errors("access_internal_error", "checking a token"),
            self.database.transaction(read_only=True) as session,
        ):
            record = session.scalar(
                select(ApiTokenRecord).where(ApiTokenRecord.token_sha256 == token_digest(token))
            )
            if record is None or record.revoked_at is not None:
                raise ForbiddenError(
                    "the API token is invalid or was revoked", code="unauthenticated"
                )
            return Principal(
                token_uuid=record.uuid,
                name=record.name,
                role=Role(record.role),
                courses=frozenset(record.courses),
            )


def _token_json(record: ApiTokenRecord) -> dict[str, Any]:
    return {
        "uuid": record.uuid,
        "name": record.name,
        "role": record.role,
        "courses": list(record.courses),
        "created_at": iso(record.created_at),
        "revoked_at": iso(record.revoked_at),
    }
