"""Students' data from the command line: erase a student, purge old essay texts, and read
the audit log."""

from __future__ import annotations

import json

import click

from essaygrader.cli.context import (
    client_of,
    local_runtime,
    remote_server,
    require_data,
    runtime_of,
)
from essaygrader.cli.reports import format_table
from essaygrader.contract import Erased
from essaygrader.domain.audit import Actor, AuditAction


@click.command("erase-student")
@click.option("--course", "course_id", required=True)
@click.option("--student", "student_id", required=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def erase_student(ctx: click.Context, course_id: str, student_id: str, yes: bool) -> None:
    """Delete a student's submissions, essays and assessments in a course, for good.

    An audit record keeps that it happened (who, when, how many), naming the student only
    by digest; `essaygrader audit --course C --student S` finds it.
    """
    if not yes:
        click.confirm(
            f"Erase every submission, essay and assessment of student {student_id!r} in "
            f"course {course_id!r}? This cannot be undone",
            abort=True,
            err=True,
        )
    erased: Erased
    if remote_server(ctx):
        erased = client_of(ctx).erase_student(course_id, student_id)
    else:
        runtime = require_data(runtime_of(ctx.find_root()))
        erased = runtime.client.erase_student(course_id, student_id, actor=Actor.command_line())
    click.echo(
        f"erased {erased['submissions']} submissions, {erased['assessments']} assessments "
        f"and {erased['grading_workflows']} grading workflows of student {student_id!r} in "
        f"course {course_id!r}; audit record {erased['audit_uuid']}"
    )


@click.command("purge-texts")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    help="Default: the essay_retention_days setting.",
)
@click.pass_context
def purge_texts(ctx: click.Context, older_than_days: int | None) -> None:
    """Remove the texts of graded essays older than the retention period; scores stay.

    Workers do this hourly when essay_retention_days is set; this runs it once now.
    """
    runtime = require_data(local_runtime(ctx))
    purged = runtime.housekeeping.purge_texts(older_than_days, actor=Actor.command_line())
    click.echo(
        f"purged the texts of {purged['texts_purged']} graded essays older than "
        f"{purged['older_than_days']} days; their scores stay"
    )


@click.command("audit")
@click.option("--course", "course_id", help="Only records about this course.")
@click.option(
    "--action", type=click.Choice([a.value for a in AuditAction]), help="Only this action."
)
@click.option("--student", "student_id", help="Only records about this student (needs --course).")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def audit(
    ctx: click.Context,
    course_id: str | None,
    action: str | None,
    student_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The audit log, newest first: erasures, retention purges, tokens created and revoked.

    Over --server it needs an admin token.
    """
    found = client_of(ctx).list_audit_records(
        limit=limit, course_id=course_id, action=action, student_id=student_id
    )
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    rows = [
        [
            r["at"][:19].replace("T", " "),
            r["action"],
            r["actor"],
            r["course_id"] or "-",
            ", ".join(f"{k} {v}" for k, v in r["details"].items()) or "-",
        ]
        for r in found["audit_records"]
    ]
    click.echo(format_table(["when", "action", "who", "course", "details"], rows))
    if found["total"] > len(rows):
        click.echo(f"(newest {len(rows)} of {found['total']}; see --limit)", err=True)
