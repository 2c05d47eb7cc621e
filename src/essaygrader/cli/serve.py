"""``essaygrader serve``: the HTTP API and dashboard, with an embedded worker.

On a fresh machine one command gives a working service: the database is migrated, the
first admin token is created and printed once, the example item shipped in the package is
loaded into an empty database (trained, with its essays waiting to be graded), and a
worker process trains and grades while the server runs; if the worker exits on its own,
another is started.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click

from essaygrader.cli.context import local_runtime
from essaygrader.cli.demo import COURSE_ID, ITEM_ID, find_examples, put_example_item, read_example
from essaygrader.cli.waiting import SupervisedWorker, start_worker_process
from essaygrader.domain.audit import Actor
from essaygrader.errors import InternalError
from essaygrader.runtime import Runtime

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="HTTP server processes.",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Start no embedded worker: workers run elsewhere (`essaygrader worker`).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Processes of the embedded worker (default: up to 2).",
)
@click.option(
    "--no-example",
    is_flag=True,
    help="Do not load the example item into an empty database.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    no_worker: bool,
    concurrency: int | None,
    no_example: bool,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs), the staff dashboard (/dashboard) and
    /healthz, /readyz and /metrics, with an embedded worker."""
    import uvicorn

    runtime = local_runtime(ctx)
    runtime.database.migrate()
    announce_first_token(runtime)
    if not no_example:
        load_example_if_empty(runtime)
    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host} over plain HTTP; API tokens cross the network "
            "in the clear unless a TLS proxy sits in front",
            err=True,
        )
    worker = None
    if not no_worker:
        log_path = runtime.settings.data_dir / "worker.log"
        worker = SupervisedWorker(
            lambda: start_worker_process(runtime, log_path, concurrency),
            lambda message: click.echo(message, err=True),
        )
        click.echo(f"embedded worker started (pid {worker.process.pid}, log: {log_path})", err=True)
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    click.echo(f"dashboard: {base}/dashboard/  API: {base}/api/v1  docs: {base}/docs")
    sys.stdout.flush()
    runtime.close()
    # uvicorn shuts down gracefully on SIGINT and SIGTERM, then raises the signal again
    # with the handlers it found; these turn that into a return, so the worker is
    # stopped below instead of being left behind.
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            "essaygrader.web.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if worker is not None:
            worker.stop()
            click.echo("embedded worker stopped", err=True)


class _Stopped(Exception):
    """The server was asked to stop by a signal."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signal.Signals(signum).name)


def announce_first_token(runtime: Runtime) -> None:
    """Create and print an admin token when none was ever created, so a newcomer can
    sign in; it is printed this once (never logged) and stored only hashed."""
    if runtime.tokens.has_tokens():
        return
    created = runtime.tokens.create_token(
        "first admin (essaygrader serve)", "admin", actor=Actor("essaygrader serve, first start")
    )
    click.echo(
        "created the first admin token; it is shown this once, so store it now:\n"
        f"    {created['token']}\n"
        "sign in to the dashboard with it; create more with `essaygrader tokens create`"
    )
    sys.stdout.flush()


def load_example_if_empty(runtime: Runtime) -> None:
    """Load the example item into a database without items: create it, start its
    training and submit its essays, which are graded once training completes."""
    client = runtime.client
    if client.list_items(limit=1)["total"]:
        return
    try:
        example = read_example(find_examples())
    except InternalError:
        click.echo("note: the example item is not installed; starting without it", err=True)
        return
    put_example_item(client, example)
    client.train_classifiers(COURSE_ID, ITEM_ID, list(example.examples))
    client.submit_many(COURSE_ID, ITEM_ID, list(example.essays))
    click.echo(
        f"loaded the example item {COURSE_ID}/{ITEM_ID}: training on "
        f"{len(example.examples)} graded examples; its {len(example.essays)} essays are "
        "graded as soon as training completes"
    )
