"""What every command shares: error handling, the runtime, and local or remote calls."""

from __future__ import annotations

import contextlib
from typing import Any

import click

from essaygrader.cli.waiting import GradingClient, worker_available
from essaygrader.client import HttpClient
from essaygrader.errors import EssayGraderError, RequestError
from essaygrader.runtime import Runtime

_REMOTE = "essaygrader.remote"


class Commands(click.Group):
    """Turns essaygrader errors into a one-line message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EssayGraderError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2 if isinstance(exc, RequestError) else 1)


def use_server(ctx: click.Context, server: str, token: str) -> None:
    """Make the client-side commands of this invocation call ``server`` over HTTP."""
    ctx.find_root().meta[_REMOTE] = (server, token)


def runtime_of(ctx: click.Context) -> Runtime:
    """The process runtime, built on first use so that ``--help`` needs no database."""
    if ctx.obj is None:
        ctx.obj = Runtime()
        ctx.call_on_close(ctx.obj.close)
    return ctx.obj  # type: ignore[no-any-return]


def local_runtime(ctx: click.Context) -> Runtime:
    """The local runtime, for commands that run the service itself.

    Raises:
        click.UsageError: ``--server`` was given; this command has no remote form.
    """
    root = ctx.find_root()
    if root.meta.get(_REMOTE):
        raise click.UsageError(
            f"`essaygrader {ctx.command_path.split(' ', 1)[-1]}` works on the local "
            "database and broker; run it without --server (and ESSAYGRADER_SERVER)"
        )
    return runtime_of(root)


def client_of(ctx: click.Context) -> GradingClient:
    """The AI Grading API: of the ``--server`` when one is given, else in-process."""
    root = ctx.find_root()
    remote: tuple[str, str] | None = root.meta.get(_REMOTE)
    if remote is None:
        return runtime_of(root).client
    if "essaygrader.http" not in root.meta:
        server, token = remote
        root.meta["essaygrader.http"] = client = HttpClient(server, token)
        root.call_on_close(client.close)
    http: HttpClient = root.meta["essaygrader.http"]
    return http


def worker_for(ctx: click.Context, queue: str) -> contextlib.AbstractContextManager[None]:
    """Locally, a worker for the command's duration if none runs; remote services run
    their own."""
    if ctx.find_root().meta.get(_REMOTE):
        return contextlib.nullcontext()
    return worker_available(local_runtime(ctx), queue)
