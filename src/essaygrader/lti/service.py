"""The LTI 1.3 tool: platform registrations, OIDC login, launch, sessions, deep linking.

A launch is checked the way the LTI 1.3 core specification and the IMS Security
Framework ask: the OIDC state (bound to the browser by a cookie) and its nonce are
single use and short lived; the id token's signature is checked against the platform's
published keys, then its ``iss``, ``aud``, ``azp``, ``exp``/``iat``, nonce, deployment id,
message type, LTI version and roles. Only then does the launch map the platform's user to
a student id and its context to a course, and open a session for the browser.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from essaygrader.api.ai import AIGradingAPI
from essaygrader.api.queue import enqueue_after_commit
from essaygrader.api.records import internal_errors
from essaygrader.api.tokens import AccessTokensAPI
from essaygrader.config import Settings
from essaygrader.contract.integrations import LtiKeyRotated, LtiPlatformOut, LtiToolConfigOut
from essaygrader.db.models import (
    LtiLinkRecord,
    LtiLoginStateRecord,
    LtiPassbackRecord,
    LtiPlatformRecord,
    LtiSessionRecord,
    LtiUserRecord,
    utcnow,
)
from essaygrader.db.session import Database
from essaygrader.domain.rubric import Rubric
from essaygrader.domain.validation import require_id
from essaygrader.domain.workflow import TaskType
from essaygrader.errors import ConflictError, ForbiddenError, NotFoundError, RequestError
from essaygrader.lti import keys
from essaygrader.lti.events import queue_for
from essaygrader.lti.jose import KeysetCache, sign, unverified_kid, verify
from essaygrader.lti.launch import (
    CODE,
    DL,
    LAUNCH,
    LTI,
    STUDENT_ID_CLAIMS,
    Launch,
    LoginRedirect,
    LtiSession,
    check_claims,
    digest,
    open_session,
)
from essaygrader.lti.passback import due_passbacks, mark_due, passback_json
from essaygrader.lti.webhooks import due_deliveries

log = logging.getLogger(__name__)


def _url(value: Any, field: str) -> str:
    text = require_id(value, field, CODE)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestError("must be an http or https URL", field=field, code=CODE)
    return text


def platform_json(record: LtiPlatformRecord) -> LtiPlatformOut:
    return {
        "uuid": record.uuid,
        "issuer": record.issuer,
        "client_id": record.client_id,
        "deployment_ids": list(record.deployment_ids),
        "auth_login_url": record.auth_login_url,
        "auth_token_url": record.auth_token_url,
        "keyset_url": record.keyset_url,
        "student_id_claim": record.student_id_claim,
        "course_prefix": record.course_prefix,
        "created_at": record.created_at.isoformat(),
    }


class LtiAPI:
    """The LTI tool's operations; the HTTP routes and commands are thin skins over it.

    Args:
        settings: ``public_url`` makes the tool's URLs; ``lti_*`` settings the lifetimes.
        database: Where registrations, keys, links and sessions live.
        client: The AI Grading API, for items and submissions.
        tokens: Makes the dashboard token of a staff launch.
        keysets: The platforms' public keys, fetched and cached.
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        client: AIGradingAPI,
        tokens: AccessTokensAPI,
        keysets: KeysetCache | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.client = client
        self.tokens = tokens
        self.keysets = keysets or KeysetCache()

    # Registration and keys

    def register_platform(
        self,
        *,
        issuer: str,
        client_id: str,
        deployment_ids: list[str],
        auth_login_url: str,
        auth_token_url: str,
        keyset_url: str,
        student_id_claim: str = "sub",
        course_prefix: str = "",
    ) -> LtiPlatformOut:
        """Register a platform, or add deployment ids to one registered already.

        Raises:
            RequestError: ``lti_invalid``; naming the field.
        """
        issuer = require_id(issuer, "issuer", CODE)
        client_id = require_id(client_id, "client_id", CODE)
        if not deployment_ids:
            raise RequestError("give at least one", field="deployment_id", code=CODE)
        deployments = [require_id(d, "deployment_id", CODE) for d in deployment_ids]
        urls = {
            "auth_login_url": _url(auth_login_url, "auth_login_url"),
            "auth_token_url": _url(auth_token_url, "auth_token_url"),
            "keyset_url": _url(keyset_url, "keyset_url"),
        }
        if student_id_claim not in STUDENT_ID_CLAIMS:
            raise RequestError(
                f"must be one of {', '.join(STUDENT_ID_CLAIMS)}",
                field="student_id_claim",
                code=CODE,
            )
        if course_prefix and not course_prefix.isprintable():
            raise RequestError("must be printable", field="course_prefix", code=CODE)
        with (
            internal_errors("lti_internal_error", "registering a platform"),
            self.database.transaction() as session,
        ):
            record = session.scalars(
                select(LtiPlatformRecord).where(
                    LtiPlatformRecord.issuer == issuer,
                    LtiPlatformRecord.client_id == client_id,
                )
            ).first()
            if record is None:
                record = LtiPlatformRecord(issuer=issuer, client_id=client_id, **urls)
                record.deployment_ids = deployments
                session.add(record)
            else:
                for name, value in urls.items():
                    setattr(record, name, value)
                record.deployment_ids = list(dict.fromkeys([*record.deployment_ids, *deployments]))
            record.student_id_claim = student_id_claim
            record.course_prefix = course_prefix
            # The signing key exists from the first registration on, so the JWKS
            # the platform is told about answers at once.
            keys.signing_key(session)
            session.flush()
            return platform_json(record)

    def list_platforms(self) -> list[LtiPlatformOut]:
        """Every registered platform, oldest first."""
        with self.database.transaction(read_only=True) as session:
            records = session.scalars(
                select(LtiPlatformRecord).order_by(LtiPlatformRecord.created_at)
            ).all()
            return [platform_json(record) for record in records]

    def tool_config(self) -> LtiToolConfigOut:
        """The URLs to paste into a platform's tool registration."""
        base = self.settings.public_url.rstrip("/")
        return {
            "login_url": f"{base}/lti/login",
            "launch_url": f"{base}/lti/launch",
            "deep_linking_url": f"{base}/lti/launch",
            "jwks_url": f"{base}/lti/jwks",
            "redirect_uris": f"{base}/lti/launch",
        }

    def jwks(self) -> dict[str, Any]:
        """The tool's public keys: the signing one, and retired ones in their grace."""
        with self.database.transaction() as session:
            keys.signing_key(session)
            grace = timedelta(hours=self.settings.lti_key_grace_hours)
            return {"keys": keys.published_keys(session, grace)}

    def rotate_key(self) -> LtiKeyRotated:
        """Make a new signing key; the old ones stay published for the grace period."""
        with self.database.transaction() as session:
            fresh, retired = keys.rotate(session)
            return {"kid": fresh.kid, "retired": retired}

    # Login and launch

    def begin_login(self, params: dict[str, str]) -> LoginRedirect:
        """The OIDC third-party login: where to redirect the browser, with a new state.

        Raises:
            RequestError: ``lti_invalid``; a missing parameter, named.
            NotFoundError: ``lti_platform_not_found``; the issuer is not registered.
        """
        issuer = require_id(params.get("iss"), "iss", CODE)
        login_hint = require_id(params.get("login_hint"), "login_hint", CODE)
        target = _url(params.get("target_link_uri"), "target_link_uri")
        client_id = params.get("client_id")
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.database.transaction() as session:
            platform = self._platform(session, issuer, client_id)
            deployment = params.get("lti_deployment_id")
            if deployment and deployment not in platform.deployment_ids:
                raise ForbiddenError(
                    f"deployment {deployment!r} is not registered for this platform",
                    code=LAUNCH,
                )
            now = utcnow()
            session.execute(delete(LtiLoginStateRecord).where(LtiLoginStateRecord.expires_at < now))
            session.add(
                LtiLoginStateRecord(
                    state=state,
                    nonce=nonce,
                    platform_uuid=platform.uuid,
                    expires_at=now + timedelta(seconds=self.settings.lti_state_seconds),
                )
            )
            query = {
                "scope": "openid",
                "response_type": "id_token",
                "response_mode": "form_post",
                "prompt": "none",
                "client_id": platform.client_id,
                "redirect_uri": self.tool_config()["launch_url"],
                "login_hint": login_hint,
                "state": state,
                "nonce": nonce,
            }
            if target:
                query["target_link_uri"] = target
            if params.get("lti_message_hint"):
                query["lti_message_hint"] = params["lti_message_hint"]
            separator = "&" if "?" in platform.auth_login_url else "?"
            return LoginRedirect(platform.auth_login_url + separator + urlencode(query), state)

    def launch(self, id_token: str, state: str, browser_state: str | None) -> Launch:
        """Verify a launch and open a session for it.

        Raises:
            ForbiddenError: ``lti_launch_invalid``; naming the check that failed. Nothing
                is stored then, but the state is spent.
        """
        if not state or not browser_state or not secrets.compare_digest(state, browser_state):
            raise ForbiddenError("the state does not match this browser's login", code=LAUNCH)
        with self.database.transaction() as session:
            login = session.get(LtiLoginStateRecord, state, with_for_update=True)
            if login is None or login.used_at is not None or login.expires_at < utcnow():
                raise ForbiddenError(
                    "the login state is unknown, used or expired: start again from the "
                    "course platform",
                    code=LAUNCH,
                )
            login.used_at = utcnow()
            platform = session.get(LtiPlatformRecord, login.platform_uuid)
            assert platform is not None
            nonce, platform_uuid = login.nonce, platform.uuid
            keyset_url, issuer, client_id = platform.keyset_url, platform.issuer, platform.client_id
        # The state is spent (committed) before the token is checked: a token refused
        # below cannot be tried again with the same state.
        key = self.keysets.key(keyset_url, unverified_kid(id_token))
        claims = verify(id_token, key, issuer=issuer, audience=client_id)
        check_claims(claims, nonce, client_id)
        with self.database.transaction() as session:
            platform = session.get(LtiPlatformRecord, platform_uuid)
            assert platform is not None
            return open_session(session, platform, claims)

    def _platform(self, session: Session, issuer: str, client_id: str | None) -> LtiPlatformRecord:
        query = select(LtiPlatformRecord).where(LtiPlatformRecord.issuer == issuer)
        if client_id:
            query = query.where(LtiPlatformRecord.client_id == client_id)
        found = session.scalars(query).all()
        if len(found) != 1:
            raise NotFoundError(
                f"no single platform registered for issuer {issuer!r}"
                + (f" and client id {client_id!r}" if client_id else ""),
                code="lti_platform_not_found",
            )
        return found[0]

    # Sessions

    def session_of(self, token: str | None) -> LtiSession:
        """The session a browser's cookie names.

        Raises:
            ForbiddenError: ``unauthenticated``; no session, or it expired.
        """
        if not token:
            raise ForbiddenError(
                "no LTI session: open essaygrader from your course", code="unauthenticated"
            )
        with self.database.transaction(read_only=True) as session:
            record = session.get(LtiSessionRecord, digest(token))
            if record is None or record.expires_at < utcnow():
                raise ForbiddenError(
                    "the LTI session expired: open essaygrader from your course again",
                    code="unauthenticated",
                )
            user = session.get(LtiUserRecord, record.lti_user_id)
            assert user is not None
            link = session.get(LtiLinkRecord, record.link_id) if record.link_id else None
            return LtiSession(
                role="staff" if record.role == "staff" else "student",
                course_id=record.course_id,
                student_id=user.student_id,
                item_id=link.item_id if link else None,
                allow_resubmission=bool(link and link.allow_resubmission),
                link_id=record.link_id,
                lti_user_id=user.id,
                platform_uuid=user.platform_uuid,
                deep_linking=record.deep_linking,
            )

    def staff_token(self, launch: Launch) -> str:
        """A dashboard token for a staff launch, for its course only; the token of the
        user's previous staff launch is revoked."""
        with self.database.transaction() as session:
            user = session.scalars(
                select(LtiUserRecord)
                .join(LtiSessionRecord, LtiSessionRecord.lti_user_id == LtiUserRecord.id)
                .where(LtiSessionRecord.token_sha256 == digest(launch.session))
            ).one()
            previous, user_id = user.staff_token_uuid, user.id
        if previous:
            with contextlib.suppress(NotFoundError, ConflictError):
                self.tokens.revoke_token(previous)
        created = self.tokens.create_token(f"lti {launch.sub}"[:100], "staff", [launch.course_id])
        with self.database.transaction() as session:
            record = session.get(LtiUserRecord, user_id)
            assert record is not None
            record.staff_token_uuid = created["uuid"]
        return str(created["token"])

    def revoke_expired_staff_tokens(self, *, now: datetime | None = None) -> int:
        """Revoke the dashboard tokens of staff launches whose LTI sessions have all
        expired, so that a token made for a launch lasts no longer than its session
        (housekeeping runs this hourly). Returns how many were revoked."""
        now = now or utcnow()
        live = (
            select(LtiSessionRecord.token_sha256)
            .where(
                LtiSessionRecord.lti_user_id == LtiUserRecord.id,
                LtiSessionRecord.expires_at > now,
            )
            .exists()
        )
        with self.database.transaction() as session:
            due = session.execute(
                select(LtiUserRecord.id, LtiUserRecord.staff_token_uuid).where(
                    LtiUserRecord.staff_token_uuid.is_not(None), ~live
                )
            ).all()
        for user_id, token_uuid in due:
            with contextlib.suppress(NotFoundError, ConflictError):
                self.tokens.revoke_token(str(token_uuid))
            with self.database.transaction() as session:
                session.execute(
                    update(LtiUserRecord)
                    .where(
                        LtiUserRecord.id == user_id,
                        LtiUserRecord.staff_token_uuid == token_uuid,
                    )
                    .values(staff_token_uuid=None)
                )
        if due:
            log.info("revoked %d dashboard token(s) of expired LTI staff sessions", len(due))
        return len(due)

    # The student page

    def student_view(self, lti: LtiSession) -> dict[str, Any]:
        """What the student page shows: the item, the mapping, and their submissions."""
        if lti.item_id is None:
            raise NotFoundError(
                "this link has no essaygrader item yet: ask course staff to pick one",
                code="lti_link_not_set_up",
            )
        item = self.client.get_item(lti.course_id, lti.item_id)
        with self.database.transaction(read_only=True) as session:
            uuids = session.scalars(
                select(LtiPassbackRecord.submission_uuid)
                .where(
                    LtiPassbackRecord.link_id == lti.link_id,
                    LtiPassbackRecord.lti_user_id == lti.lti_user_id,
                )
                .order_by(LtiPassbackRecord.created_at)
            ).all()
        submissions = [self.client.get_submission(uuid) for uuid in uuids]
        return {
            "item": item,
            "course_id": lti.course_id,
            "student_id": lti.student_id,
            "submissions": submissions,
            "may_submit": lti.allow_resubmission or not submissions,
        }

    def submit(self, lti: LtiSession, text: str) -> str:
        """Submit the student's essay for grading; its score goes back to the platform.

        Raises:
            ForbiddenError: ``forbidden``; a staff session, or a second submission where
                resubmission is not allowed.
        """
        if lti.role != "student" or lti.item_id is None or lti.link_id is None:
            raise ForbiddenError("only a student launch of an item may submit", code="forbidden")
        view = self.student_view(lti)
        if not view["may_submit"]:
            raise ForbiddenError("this item takes one submission only", code="forbidden")
        submitted = self.client.submit(lti.course_id, lti.item_id, lti.student_id, text=text)
        uuid = submitted["submission_uuid"]
        with self.database.transaction() as session:
            try:
                with session.begin_nested():
                    session.add(
                        LtiPassbackRecord(
                            submission_uuid=uuid,
                            link_id=lti.link_id,
                            lti_user_id=lti.lti_user_id,
                            attempts=0,
                        )
                    )
            except IntegrityError:
                pass
            # Grading may have finished already; the task sends whatever is current.
            mark_due(session, [uuid], queue_for(session))
        return uuid

    # Deep linking

    def deep_linking_response(
        self, lti: LtiSession, item_id: str, *, allow_resubmission: bool
    ) -> tuple[str, str]:
        """The signed LtiDeepLinkingResponse placing ``item_id``, and where to post it.

        Raises:
            ForbiddenError: ``forbidden``; not a deep-linking session of course staff.
            NotFoundError: ``item_not_found``; no such item in the course.
        """
        if lti.role != "staff" or not lti.deep_linking:
            raise ForbiddenError("not a deep-linking launch of course staff", code="forbidden")
        item = self.client.get_item(lti.course_id, item_id)
        points = Rubric.from_dict(item["rubric"]).points_possible
        with self.database.transaction() as session:
            platform = session.get(LtiPlatformRecord, lti.platform_uuid)
            assert platform is not None
            key = keys.signing_key(session)
            now = int(utcnow().timestamp())
            content = {
                "type": "ltiResourceLink",
                "title": item["item_id"],
                "text": item["prompt"][:200],
                "url": self.tool_config()["launch_url"],
                "custom": {
                    "essaygrader_item_id": item["item_id"],
                    "essaygrader_resubmission": "allowed" if allow_resubmission else "once",
                },
                "lineItem": {
                    "scoreMaximum": points,
                    "label": item["item_id"],
                    "resourceId": item["item_id"],
                },
            }
            claims: dict[str, Any] = {
                "iss": platform.client_id,
                "aud": platform.issuer,
                "iat": now,
                "exp": now + 600,
                "nonce": secrets.token_urlsafe(16),
                LTI + "message_type": "LtiDeepLinkingResponse",
                LTI + "version": "1.3.0",
                LTI + "deployment_id": lti.deep_linking["deployment_id"],
                DL + "content_items": [content],
            }
            if lti.deep_linking.get("data") is not None:
                claims[DL + "data"] = lti.deep_linking["data"]
            token = sign(claims, key.private_key_pem, key.kid)
        return str(lti.deep_linking["return_url"]), token

    # Passbacks

    def list_passbacks(self, *, failed_only: bool = False) -> list[dict[str, Any]]:
        """Every submission's passback state, newest first; ``failed_only``: those whose
        last attempt failed."""
        with self.database.transaction(read_only=True) as session:
            query = select(LtiPassbackRecord).order_by(LtiPassbackRecord.created_at.desc())
            if failed_only:
                query = query.where(LtiPassbackRecord.last_error.is_not(None))
            return [passback_json(row) for row in session.scalars(query)]

    def reschedule_passbacks(self) -> int:
        """Queue again every passback still owed (after a platform outage); returns how
        many."""
        due = due_passbacks(self.database)
        with self.database.transaction() as session:
            return len(mark_due(session, due, queue_for(session)))

    def reschedule_deliveries(self) -> int:
        """Queue again every webhook delivery neither delivered nor given up; returns how
        many (each endpoint's still go out in order)."""
        due = due_deliveries(self.database)
        with self.database.transaction() as session:
            task_queue = queue_for(session)
            if task_queue is not None and due:
                enqueue_after_commit(session, task_queue, TaskType.WEBHOOK, due)
        return len(due)
