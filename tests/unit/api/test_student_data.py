"""A student's data: erasure deletes exactly that student's work in one course and leaves
an audit record without text; the retention purge empties old graded essays and keeps
their scores; token changes are audited; the audit log filters by course, action and
student."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from essaygrader.db.models import AuditRecord, SubmissionRecord, utcnow
from essaygrader.domain.audit import Actor, student_subject
from essaygrader.errors import RequestError
from tests.factories import RUBRIC, essay, examples


@pytest.fixture
def graded(api, task_queue):
    """Course a: students s1 (two graded essays) and s2; course b: another s1."""
    for course in ("course-a", "course-b"):
        api.create_item(course, "item-1", RUBRIC)
        api.train_classifiers(course, "item-1", examples(30))
    task_queue.join()
    made = {
        "a-s1": [
            api.submit("course-a", "item-1", "s1", text=essay(40, 1)),
            api.submit("course-a", "item-1", "s1", text=essay(40, 2)),
        ],
        "a-s2": [api.submit("course-a", "item-1", "s2", text=essay(40, 3))],
        "b-s1": [api.submit("course-b", "item-1", "s1", text=essay(40, 4))],
    }
    task_queue.join()
    return made


def texts_of(runtime):
    with runtime.database.transaction(read_only=True) as session:
        return {
            (s.course_id, s.student_id, s.text) for s in session.scalars(select(SubmissionRecord))
        }


def test_erasure_deletes_one_student_of_one_course(api, runtime, graded):
    kept = texts_of(runtime)
    erased = api.erase_student("course-a", "s1", actor=Actor("teacher", "tok-1"))
    assert {k: erased[k] for k in ("submissions", "assessments", "grading_workflows")} == {
        "submissions": 2,
        "assessments": 2,
        "grading_workflows": 2,
    }
    assert texts_of(runtime) == {t for t in kept if t[:2] != ("course-a", "s1")}
    for submitted in graded["a-s1"]:
        with pytest.raises(RequestError) as raised:
            api.get_submission(submitted["submission_uuid"])
        assert raised.value.code == "submission_not_found"
    assert api.get_latest_assessment(graded["b-s1"][0]["submission_uuid"]) is not None
    record = api.list_audit_records()["audit_records"][0]
    assert record["uuid"] == erased["audit_uuid"]
    assert record["action"] == "student_erased"
    assert (record["actor"], record["actor_token_uuid"]) == ("teacher", "tok-1")
    assert record["course_id"] == "course-a"
    # The record proves the erasure without naming the student or holding any text.
    assert record["subject"] == student_subject("course-a", "s1")
    assert "s1" not in str(record)
    assert record["details"] == {"submissions": 2, "assessments": 2, "grading_workflows": 2}


def test_erasing_again_finds_nothing_and_is_recorded(api, graded):
    api.erase_student("course-a", "s2")
    again = api.erase_student("course-a", "s2")
    assert (again["submissions"], again["assessments"]) == (0, 0)
    found = api.list_audit_records(course_id="course-a", student_id="s2")
    assert found["total"] == 2
    assert api.list_audit_records(course_id="course-b", student_id="s2")["total"] == 0


def test_a_queued_grading_task_of_an_erased_essay_is_dropped(api, runtime, task_queue, graded):
    submitted = api.submit("course-a", "item-1", "s3", text=essay(40, 9))
    api.erase_student("course-a", "s3")
    ran = task_queue.join()
    # A grading task names workflows in a batch; one erased meanwhile leaves it nothing to
    # do: it ends at once, without a retry and without recreating anything.
    assert [outcome.kind for *_, outcome in ran] == ["done"]
    assert api.list_submissions("course-a", "item-1")["total"] == 3
    assert submitted["submission_uuid"] not in {
        s["submission_uuid"] for s in api.list_submissions("course-a", "item-1")["submissions"]
    }


@pytest.mark.parametrize("student", ["", " s1", None, 7])
def test_erasure_refuses_invalid_ids(api, graded, student):
    with pytest.raises(RequestError) as raised:
        api.erase_student("course-a", student)
    assert (raised.value.code, raised.value.field) == ("student_data_invalid", "student_id")


def age(runtime, days):
    with runtime.database.transaction() as session:
        session.execute(update(SubmissionRecord).values(created_at=utcnow() - timedelta(days=days)))


def test_retention_purges_old_graded_texts_and_keeps_scores(api, runtime, task_queue, graded):
    waiting_item = api.create_item("course-a", "item-2", RUBRIC)
    waiting = api.submit("course-a", waiting_item["item_id"], "s4", text=essay(40, 5))
    scores = api.get_assessment_scores_by_criteria(graded["a-s2"][0]["submission_uuid"])
    age(runtime, 40)
    fresh = api.submit("course-a", "item-1", "s5", text=essay(40, 6))
    task_queue.join()
    purged = runtime.housekeeping.purge_texts(30)
    assert purged["texts_purged"] == 4
    shown = api.get_submission(graded["a-s2"][0]["submission_uuid"])
    assert (shown["text"], shown["answer"]) == ("", "")
    assert shown["text_purged_at"] is not None
    assert api.get_assessment_scores_by_criteria(shown["uuid"]) == scores
    # Still waiting for classifiers: grading needs the text, so it stays.
    assert api.get_submission(waiting["submission_uuid"])["text"] == essay(40, 5)
    assert api.get_submission(fresh["submission_uuid"])["text"] == essay(40, 6)
    record = api.list_audit_records(action="texts_purged")["audit_records"][0]
    assert record["details"] == {"texts_purged": 4, "older_than_days": 30}
    assert record["uuid"] == purged["audit_uuid"]
    # Nothing left to purge: nothing recorded.
    assert runtime.housekeeping.purge_texts(30) == {
        "texts_purged": 0,
        "older_than_days": 30,
        "audit_uuid": None,
    }
    assert api.list_audit_records(action="texts_purged")["total"] == 1


def test_housekeeping_purges_only_with_a_retention_period(api, runtime, graded):
    age(runtime, 40)
    assert runtime.housekeeping.run() == {
        "idempotency_keys": 0,
        "texts_purged": 0,
        "lti_staff_tokens_revoked": 0,
    }
    with pytest.raises(RequestError) as raised:
        runtime.housekeeping.purge_texts()
    assert raised.value.code == "retention_invalid"
    runtime.settings = runtime.settings.with_overrides(essay_retention_days=30)
    del runtime.__dict__["housekeeping"]
    assert runtime.housekeeping.run() == {
        "idempotency_keys": 0,
        "texts_purged": 4,
        "lti_staff_tokens_revoked": 0,
    }


def test_token_changes_are_audited(api, runtime):
    admin = Actor("ops", "tok-admin")
    created = runtime.tokens.create_token("lms", "platform", ["course-a"], actor=admin)
    runtime.tokens.revoke_token(created["uuid"], actor=admin)
    runtime.tokens.revoke_token(created["uuid"], actor=admin)  # already revoked: no record
    records = api.list_audit_records()["audit_records"]
    assert [r["action"] for r in records] == ["token_revoked", "token_created"]
    assert {r["subject"] for r in records} == {created["uuid"]}
    assert records[1]["details"] == {"name": "lms", "role": "platform", "courses": ["course-a"]}
    assert created["token"] not in str(records)
    with runtime.database.transaction(read_only=True) as session:
        assert session.scalar(select(AuditRecord.actor).limit(1)) == "ops"


def test_the_audit_log_filters_and_refuses_unknown_actions(api, runtime, graded):
    runtime.tokens.create_token("lms", "platform", ["course-a"])
    api.erase_student("course-b", "s1")
    assert api.list_audit_records(action="student_erased")["total"] == 1
    assert api.list_audit_records(course_id="course-b")["total"] == 1
    assert api.list_audit_records(limit=1)["total"] == 2
    with pytest.raises(RequestError) as raised:
        api.list_audit_records(action="overridden")
    assert (raised.value.code, raised.value.field) == ("audit_invalid", "action")
    with pytest.raises(RequestError):
        api.list_audit_records(student_id="s1")
