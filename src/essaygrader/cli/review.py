"""``essaygrader review``: the AI grades held for staff review, and confirming them."""

from __future__ import annotations

import json

import click

from essaygrader.cli.context import Commands, client_of
from essaygrader.cli.reports import format_table


@click.group(cls=Commands)
def review() -> None:
    """List AI grades held for review, and confirm them."""


@review.command("list")
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def review_list(
    ctx: click.Context, course_id: str, item_id: str, limit: int, as_json: bool
) -> None:
    """The item's AI grades held for review, oldest first, with flags and lowest confidence.

    Confirm one with ``essaygrader review confirm SUBMISSION_UUID``; to change the grade,
    record a staff assessment (the dashboard's grading form, or the API).
    """
    page = client_of(ctx).list_reviews(course_id, item_id, limit=limit)
    if as_json:
        click.echo(json.dumps(page, indent=2, ensure_ascii=False))
        return
    rows = [
        [
            r["submission_uuid"],
            f"{r['points_earned']}/{r['points_possible']}",
            "-" if r["lowest_confidence"] is None else f"{r['lowest_confidence']:.2f}",
            ", ".join(f["code"] for f in r["flags"]) or "-",
            r["scored_at"],
        ]
        for r in page["reviews"]
    ]
    if rows:
        click.echo(format_table(["submission", "points", "lowest conf.", "flags", "graded"], rows))
    shown = len(rows)
    click.echo(
        f"{page['total']} held for review" + (f" ({shown} shown)" if shown < page["total"] else "")
    )


@review.command("confirm")
@click.argument("submission_uuid")
@click.pass_context
def review_confirm(ctx: click.Context, submission_uuid: str) -> None:
    """Release the AI grade of a submission held for review."""
    assessment = client_of(ctx).review_assessment(submission_uuid, "confirm")
    click.echo(
        f"confirmed assessment {assessment['uuid']} of submission {submission_uuid}: "
        f"{assessment['points_earned']}/{assessment['points_possible']} points, now released"
    )
