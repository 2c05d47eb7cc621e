"""What every command shares: error handling, the runtime, and local or remote calls."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
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

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; click's own errors are printed as ours are, after ``error:``."""
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
                click.echo(f"Try '{exc.ctx.command_path} --help' for help.", err=True)
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class NoDataDirectory(click.ClickException):
    """A command that reads found no embedded data where the settings point."""

    exit_code = 2


def refuse_server(ctx: click.Context) -> None:
    """Raises:
    click.UsageError: ``--server`` was given; this command has no remote form.
    """
    if ctx.find_root().meta.get(_REMOTE):
        raise click.UsageError(
            f"`essaygrader {ctx.command_path.split(' ', 1)[-1]}` works on the local "
            "database and broker; run it without --server (and ESSAYGRADER_SERVER)"
        )


def require_data(runtime: Runtime) -> Runtime:
    """The runtime, if its embedded database exists; commands that only read or change
    what is there never create an empty one.

    Raises:
        NoDataDirectory: The embedded database is missing, saying where it was sought.
    """
    database = runtime.settings.embedded_database
    if database is not None and not database.exists():
        folder = runtime.settings.data_dir.resolve()
        found = "has no database" if folder.is_dir() else "does not exist"
        raise NoDataDirectory(
            f"no essaygrader data: the data directory {folder} {found}. Start with "
            "`essaygrader init` or `essaygrader serve`, run from the folder that holds "
            "essaygrader-data, or set ESSAYGRADER_DATA_DIR (or ESSAYGRADER_DATABASE_URL)"
        )
    return runtime


def use_server(ctx: click.Context, server: str, token: str) -> None:
    """Make the client-side commands of this invocation call ``server`` over HTTP."""
    ctx.find_root().meta[_REMOTE] = (server, token)


def remote_server(ctx: click.Context) -> str | None:
    """The ``--server`` of this invocation, if any."""
    remote: tuple[str, str] | None = ctx.find_root().meta.get(_REMOTE)
    return remote[0] if remote else None


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
    refuse_server(ctx)
    return runtime_of(ctx.find_root())


def client_of(ctx: click.Context, *, creates: bool = False) -> GradingClient:
    """The AI Grading API: of the ``--server`` when one is given, else in-process.

    Args:
        creates: The command creates data (``items create``), so a missing embedded
            database is made; other commands stop with :class:`NoDataDirectory`.
    """
    root = ctx.find_root()
    remote: tuple[str, str] | None = root.meta.get(_REMOTE)
    if remote is None:
        runtime = runtime_of(root)
        return (runtime if creates else require_data(runtime)).client
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
