"""API tokens: shown once, stored only as a digest, scoped by role, revocable at once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from essaygrader.api.tokens import token_digest
from essaygrader.db.models import ApiTokenRecord
from essaygrader.domain.access import Permission, Role
from essaygrader.errors import ForbiddenError, NotFoundError, RequestError
from tests.conftest import row_counts


@pytest.fixture
def tokens(runtime):
    return runtime.tokens


def test_a_token_is_shown_once_and_stored_as_its_digest(runtime, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    created = tokens.create_token("course A staff", "staff", ["course-b", "course-a", "course-a"])
    token = created["token"]
    assert token.startswith("eg_")
    assert len(token) >= 40
    assert created["courses"] == ["course-a", "course-b"]
    with runtime.database.transaction(read_only=True) as session:
        record = session.scalars(select(ApiTokenRecord)).one()
    assert record.token_sha256 == token_digest(token)
    assert token not in repr(record.__dict__)
    listed = tokens.list_tokens()
    assert listed == [{k: v for k, v in created.items() if k != "token"}]
    assert token not in caplog.text
    principal = tokens.authenticate(token)
    assert principal.role is Role.STAFF
    assert principal.courses == {"course-a", "course-b"}
    assert principal.covers("course-a")
    assert not principal.covers("course-c")
    assert principal.course_scope == ["course-a", "course-b"]


def test_tokens_are_unguessable_and_distinct(tokens):
    made = {tokens.create_token(f"t{i}", "admin")["token"] for i in range(20)}
    assert len(made) == 20


@pytest.mark.parametrize("presented", [None, "", "eg_wrong", "x" * 5000])
def test_unknown_tokens_are_refused_alike(tokens, presented):
    tokens.create_token("admin", "admin")
    with pytest.raises(ForbiddenError):
        tokens.authenticate(presented)


def test_revoked_tokens_stop_working_at_once(tokens):
    created = tokens.create_token("platform", "platform", ["course-a"])
    tokens.authenticate(created["token"])
    revoked = tokens.revoke_token(created["uuid"])
    assert revoked["revoked_at"] is not None
    with pytest.raises(ForbiddenError) as raised:
        tokens.authenticate(created["token"])
    assert raised.value.code == "unauthenticated"
    assert tokens.revoke_token(created["uuid"])["revoked_at"] == revoked["revoked_at"]
    assert tokens.list_tokens() == []
    assert tokens.list_tokens(include_revoked=True)[0]["uuid"] == created["uuid"]
    assert tokens.has_tokens()


@pytest.mark.parametrize(
    ("name", "role", "courses", "field"),
    [
        ("x", "root", [], "role"),
        ("x", "staff", [], "courses"),
        ("x", "platform", [], "courses"),
        ("x", "admin", ["course-a"], "courses"),
        ("x", "worker", ["course-a"], "courses"),
        ("x", "staff", [" padded"], "courses[0]"),
        ("", "admin", [], "name"),
        ("n" * 101, "admin", [], "name"),
    ],
)
def test_invalid_tokens_are_refused_and_nothing_is_stored(
    runtime, tokens, name, role, courses, field
):
    before = row_counts(runtime)
    with pytest.raises(RequestError) as raised:
        tokens.create_token(name, role, courses)
    assert raised.value.field == field
    assert row_counts(runtime) == before


def test_revoking_an_unknown_token(tokens):
    with pytest.raises(NotFoundError):
        tokens.revoke_token("no-such-token")


def test_what_each_role_may_do(tokens):
    admin = tokens.authenticate(tokens.create_token("a", "admin")["token"])
    staff = tokens.authenticate(tokens.create_token("s", "staff", ["c"])["token"])
    platform = tokens.authenticate(tokens.create_token("p", "platform", ["c"])["token"])
    worker = tokens.authenticate(tokens.create_token("w", "worker")["token"])
    assert all(admin.may(p) for p in Permission)
    assert admin.course_scope is None
    assert admin.covers("anything")
    assert staff.may(Permission.TRAIN)
    assert staff.may(Permission.RESCHEDULE)
    assert not staff.may(Permission.SUBMIT)
    assert not staff.may(Permission.READ_METRICS)
    assert {p for p in Permission if platform.may(p)} == {
        Permission.SUBMIT,
        Permission.READ_ASSESSMENTS,
    }
    assert not any(worker.may(p) for p in Permission)


def test_readiness_reports_each_dependency(runtime):
    report = runtime.readiness.check()
    assert report == {
        "ready": True,
        "checks": {
            "database": {"ok": True, "detail": "ok"},
            "broker": {"ok": True, "detail": "ok"},
            "storage": {"ok": True, "detail": "ok"},
        },
    }
    runtime.task_queue.queue_lengths = lambda: {"training": None, "grading": None}
    report = runtime.readiness.check()
    assert report["ready"] is False
    assert report["checks"]["broker"] == {"ok": False, "detail": "unreachable"}
