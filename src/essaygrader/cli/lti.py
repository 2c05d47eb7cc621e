"""``essaygrader lti``: register course platforms, show the tool's URLs, rotate its key,
and follow grade passback."""

from __future__ import annotations

import click

from essaygrader.cli.context import Commands, local_runtime
from essaygrader.cli.reports import format_table


@click.group(cls=Commands)
def lti() -> None:
    """The LTI 1.3 tool: platforms (LMSs) that launch essaygrader and take its grades."""


@lti.command("register-platform")
@click.option("--issuer", required=True, help="The platform's issuer (iss), a URL.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option(
    "--deployment-id",
    "deployment_ids",
    required=True,
    multiple=True,
    help="A deployment id of the tool on the platform (repeat for several).",
)
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorization URL.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth2 token URL.")
@click.option("--keyset-url", required=True, help="The platform's public keys (JWKS) URL.")
@click.option(
    "--student-id-claim",
    type=click.Choice(["sub", "email", "preferred_username"]),
    default="sub",
    show_default=True,
    help="Which claim of a launch becomes the student id.",
)
@click.option(
    "--course-prefix", default="", help="Put before the platform's context id to make course ids."
)
@click.pass_context
def register_platform(
    ctx: click.Context,
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str,
    student_id_claim: str,
    course_prefix: str,
) -> None:
    """Register a platform (or add deployment ids to one already registered)."""
    platform = local_runtime(ctx).lti.register_platform(
        issuer=issuer,
        client_id=client_id,
        deployment_ids=list(deployment_ids),
        auth_login_url=auth_login_url,
        auth_token_url=auth_token_url,
        keyset_url=keyset_url,
        student_id_claim=student_id_claim,
        course_prefix=course_prefix,
    )
    click.echo(
        f"registered platform {platform['uuid']}: {platform['issuer']} client "
        f"{platform['client_id']}, deployments {', '.join(platform['deployment_ids'])}"
    )


@lti.command("list")
@click.pass_context
def list_platforms(ctx: click.Context) -> None:
    """List the registered platforms."""
    rows = [
        [
            p["issuer"],
            p["client_id"],
            ",".join(p["deployment_ids"]),
            p["student_id_claim"],
            p["course_prefix"] or "-",
        ]
        for p in local_runtime(ctx).lti.list_platforms()
    ]
    click.echo(
        format_table(["issuer", "client id", "deployments", "student id", "course prefix"], rows)
    )


@lti.command("config")
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the tool's URLs to paste into a platform's registration form."""
    for name, url in local_runtime(ctx).lti.tool_config().items():
        click.echo(f"{name:18} {url}")


@lti.command("rotate-key")
@click.pass_context
def rotate_key(ctx: click.Context) -> None:
    """Make a new signing key; the old one stays published for ``lti_key_grace_hours``."""
    rotated = local_runtime(ctx).lti.rotate_key()
    click.echo(f"signing with key {rotated['kid']}; retired {', '.join(rotated['retired']) or '-'}")


@lti.command("passbacks")
@click.option("--failed", is_flag=True, help="Only those whose last attempt failed.")
@click.pass_context
def passbacks(ctx: click.Context, failed: bool) -> None:
    """Grades sent back to platforms: what was sent, attempts, the last error."""
    rows = [
        [
            p["submission_uuid"],
            p["sent"] or "-",
            "yes" if p["due"] else "no",
            str(p["attempts"]),
            (p["last_error"] or "-")[:80],
        ]
        for p in local_runtime(ctx).lti.list_passbacks(failed_only=failed)
    ]
    click.echo(format_table(["submission", "sent", "due", "attempts", "last error"], rows))


@lti.command("reschedule")
@click.pass_context
def reschedule(ctx: click.Context) -> None:
    """Queue again every grade still owed to a platform and every webhook delivery not
    yet delivered or given up (after a platform was unreachable)."""
    runtime = local_runtime(ctx)
    passbacks = runtime.lti.reschedule_passbacks()
    deliveries = runtime.lti.reschedule_deliveries()
    click.echo(f"queued {passbacks} passback(s) and {deliveries} webhook delivery(ies)")
