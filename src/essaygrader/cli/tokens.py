"""``essaygrader tokens``: API tokens for the HTTP API, in the local database."""

from __future__ import annotations

import click

from essaygrader.cli.context import Commands, local_runtime, require_data
from essaygrader.cli.reports import format_table
from essaygrader.domain.access import Role
from essaygrader.domain.audit import Actor


@click.group(cls=Commands)
def tokens() -> None:
    """Create, list and revoke API tokens (roles: admin, staff, platform, worker)."""


@tokens.command("create")
@click.option("--name", required=True, help="Who or what holds the token, for the list.")
@click.option(
    "--role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="admin: everything; staff: items, training, results and rescheduling of its "
    "courses; platform: submit and read assessments in its courses; worker: nothing "
    "over HTTP.",
)
@click.option(
    "--course",
    "courses",
    multiple=True,
    help="A course the token reaches (repeat for several); staff and platform only.",
)
@click.pass_context
def tokens_create(ctx: click.Context, name: str, role: str, courses: tuple[str, ...]) -> None:
    """Create a token and print it; it is shown this once and stored only hashed."""
    created = local_runtime(ctx).tokens.create_token(
        name, role, courses, actor=Actor.command_line()
    )
    click.echo(created["token"])
    scope = f" for {', '.join(created['courses'])}" if created["courses"] else ""
    click.echo(
        f"created {created['role']} token {created['uuid']}{scope}; "
        "store it now: it cannot be shown again",
        err=True,
    )


@tokens.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked tokens.")
@click.pass_context
def tokens_list(ctx: click.Context, include_revoked: bool) -> None:
    """List tokens: id, name, role, courses and dates (never the tokens themselves)."""
    listed = require_data(local_runtime(ctx)).tokens.list_tokens(include_revoked=include_revoked)
    rows = [
        [
            t["uuid"],
            t["name"],
            t["role"],
            ",".join(t["courses"]) or "-",
            t["created_at"][:19],
            (t["revoked_at"] or "")[:19] or "-",
        ]
        for t in listed
    ]
    click.echo(format_table(["id", "name", "role", "courses", "created", "revoked"], rows))


@tokens.command("revoke")
@click.argument("token_uuid", metavar="ID")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_uuid: str) -> None:
    """Revoke a token by its id (from `tokens list`); it stops working at once."""
    revoked = require_data(local_runtime(ctx)).tokens.revoke_token(
        token_uuid, actor=Actor.command_line()
    )
    click.echo(f"revoked token {revoked['uuid']} ({revoked['name']})")
