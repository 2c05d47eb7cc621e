"""``essaygrader items``: create, change, show and list items (a question and its rubric)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from essaygrader.cli.context import Commands, client_of
from essaygrader.cli.files import read_json, read_text
from essaygrader.errors import EssayGraderError


@click.group(cls=Commands)
def items() -> None:
    """Create, change and show items (a question and its rubric)."""


@items.command("create")
@click.option("--course", "course_id", required=True, help="Course id.")
@click.option("--item", "item_id", required=True, help="Item id, unique in the course.")
@click.option(
    "--rubric",
    "rubric_path",
    required=True,
    type=click.Path(path_type=Path),
    help='Rubric JSON: {"criteria": [{name, prompt, options: [...]}]}.',
)
@click.option("--prompt-file", type=click.Path(path_type=Path), help="The essay prompt.")
@click.option("--algorithm", "algorithm_id", help="Algorithm id (default: the setting).")
@click.option("--published", is_flag=True, help="Mark the item published.")
@click.option(
    "--min-qwk",
    type=float,
    help="Quality gate: refuse classifiers whose cross-validated QWK is below this.",
)
@click.option(
    "--review-policy",
    type=click.Choice(["none", "flagged", "all"]),
    default="none",
    show_default=True,
    help="Which AI grades are held for staff review before release.",
)
@click.option(
    "--review-confidence-below",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="Under --review-policy flagged, hold grades with a criterion less sure than this.",
)
@click.pass_context
def items_create(
    ctx: click.Context,
    course_id: str,
    item_id: str,
    rubric_path: Path,
    prompt_file: Path | None,
    algorithm_id: str | None,
    published: bool,
    min_qwk: float | None,
    review_policy: str,
    review_confidence_below: float,
) -> None:
    """Create an item from a rubric file."""
    rubric = _read_rubric(rubric_path)
    prompt = read_text(prompt_file) if prompt_file else ""
    item = client_of(ctx, creates=True).create_item(
        course_id,
        item_id,
        rubric,
        prompt=prompt,
        algorithm_id=algorithm_id,
        published=published,
        min_qwk=min_qwk,
        review_policy=review_policy,
        review_confidence_below=review_confidence_below,
    )
    scored = sum(1 for c in item["rubric"]["criteria"] if c["options"])
    click.echo(
        f"created item {course_id}/{item_id}: {len(item['rubric']['criteria'])} "
        f"criteria, {scored} scored"
    )


@items.command("update")
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path))
@click.option("--prompt-file", type=click.Path(path_type=Path))
@click.option("--algorithm", "algorithm_id")
@click.option("--published/--unpublished", default=None)
@click.option("--min-qwk", type=float, help="Quality gate for future training.")
@click.option("--no-min-qwk", is_flag=True, help="Remove the quality gate.")
@click.option(
    "--review-policy",
    type=click.Choice(["none", "flagged", "all"]),
    help="Which AI grades are held for staff review before release.",
)
@click.option(
    "--review-confidence-below",
    type=click.FloatRange(0, 1),
    help="Under --review-policy flagged, hold grades with a criterion less sure than this.",
)
@click.pass_context
def items_update(
    ctx: click.Context,
    course_id: str,
    item_id: str,
    rubric_path: Path | None,
    prompt_file: Path | None,
    algorithm_id: str | None,
    published: bool | None,
    min_qwk: float | None,
    no_min_qwk: bool,
    review_policy: str | None,
    review_confidence_below: float | None,
) -> None:
    """Change an item; options left out stay as they are."""
    changes: dict[str, Any] = {}
    if rubric_path:
        changes["rubric"] = _read_rubric(rubric_path)
    if prompt_file:
        changes["prompt"] = read_text(prompt_file)
    if algorithm_id:
        changes["algorithm_id"] = algorithm_id
    if published is not None:
        changes["published"] = published
    if min_qwk is not None or no_min_qwk:
        changes["min_qwk"] = None if no_min_qwk else min_qwk
    if review_policy is not None:
        changes["review_policy"] = review_policy
    if review_confidence_below is not None:
        changes["review_confidence_below"] = review_confidence_below
    item = client_of(ctx).update_item(course_id, item_id, **changes)
    for warning in item["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"updated item {course_id}/{item_id}")


@items.command("show")
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.pass_context
def items_show(ctx: click.Context, course_id: str, item_id: str) -> None:
    """Print an item as JSON."""
    click.echo(json.dumps(client_of(ctx).get_item(course_id, item_id), indent=2))


@items.command("list")
@click.option("--course", "course_id")
@click.pass_context
def items_list(ctx: click.Context, course_id: str | None) -> None:
    """List items, one per line."""
    client, offset = client_of(ctx), 0
    while True:
        page = client.list_items(course_id, offset=offset, limit=1000)
        for item in page["items"]:
            state = "published" if item["published"] else "draft"
            click.echo(f"{item['course_id']}/{item['item_id']}\t{state}")
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            return


def _read_rubric(path: Path) -> Any:
    try:
        return read_json(path)
    except EssayGraderError as exc:
        raise type(exc)(exc.message, field=f"rubric {exc.field}") from exc
