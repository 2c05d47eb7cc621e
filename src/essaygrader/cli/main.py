"""``essaygrader``: define items, train, submit, follow the backlog, run workers.

Settings come from ``ESSAYGRADER_*`` environment variables (see ``essaygrader.config``).
Bad input ends with exit code 2 and a one-line error naming the file, row and field;
an internal failure ends with exit code 1.

With ``--server URL --token T`` (or ``ESSAYGRADER_SERVER`` and ``ESSAYGRADER_TOKEN``) the
commands that call the AI Grading API act on that service over HTTP instead of on the
local database; commands that run the service itself refuse the option.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from essaygrader import __version__
from essaygrader.cli.context import (
    Commands,
    client_of,
    local_runtime,
    refuse_server,
    remote_server,
    require_data,
    use_server,
    worker_for,
)
from essaygrader.cli.files import check_examples, locate, read_essays, read_examples
from essaygrader.cli.waiting import (
    GradingClient,
    wait_for_grading,
    wait_for_training,
)
from essaygrader.config import mask_url
from essaygrader.contract import GradingWorkflowOut, SubmissionSummary, TrainingWorkflowOut
from essaygrader.domain.exports import result_columns, result_row, write_csv
from essaygrader.domain.wording import counted
from essaygrader.errors import EssayGraderError, NotFoundError
from essaygrader.runtime import Runtime


@click.group(cls=Commands)
@click.version_option(__version__, prog_name="essaygrader")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details.")
@click.option(
    "--server",
    envvar="ESSAYGRADER_SERVER",
    metavar="URL",
    help="Act on this essaygrader service over HTTP (env ESSAYGRADER_SERVER).",
)
@click.option(
    "--token",
    envvar="ESSAYGRADER_TOKEN",
    metavar="TOKEN",
    help="API token for --server; prefer the env ESSAYGRADER_TOKEN, which other "
    "users of the machine cannot see in the process list.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, server: str | None, token: str | None) -> None:
    """Grade essays on a rubric, learned from graded examples."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if server:
        if not token:
            raise click.UsageError("--server needs --token (or ESSAYGRADER_TOKEN)")
        use_server(ctx, server, token)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="essaygrader")


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the data directory, bring the database schema up to date, and check that the
    classifier store can be used."""
    runtime = local_runtime(ctx)
    revision = runtime.database.migrate()
    runtime.blobs.check()
    runtime.lti.jwks()  # makes the LTI tool's key pair, so its JWKS answers at once
    settings = runtime.settings.public_dict()
    click.echo(
        f"database {settings['database_url'] or runtime.settings.resolved_database_url}"
        f" at schema revision {revision}"
    )
    click.echo(f"classifiers in {runtime.blobs.describe()}")


# Training and grading ------------------------------------------------------------


@cli.command()
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.option(
    "--examples",
    "examples_path",
    type=click.Path(path_type=Path),
    help="CSV or JSONL: a text column and one column per scored criterion "
    "holding the selected option's name.",
)
@click.option(
    "--from-graded",
    is_flag=True,
    help="Also train on the item's staff-graded submissions.",
)
@click.option("--algorithm", "algorithm_id", help="Algorithm id (default: the item's).")
@click.option("--wait", is_flag=True, help="Block until training ends.")
@click.pass_context
def train(
    ctx: click.Context,
    course_id: str,
    item_id: str,
    examples_path: Path | None,
    from_graded: bool,
    algorithm_id: str | None,
    wait: bool,
) -> None:
    """Train one classifier per scored criterion from graded examples, staff-graded
    submissions (--from-graded), or both."""
    if examples_path is None and not from_graded:
        raise click.UsageError("give --examples FILE, --from-graded, or both")
    client = client_of(ctx)
    examples = None
    if examples_path is not None:
        rubric = client.get_item(course_id, item_id)["rubric"]
        examples = read_examples(examples_path, rubric)
        if not from_graded:
            # Every bad row at once; with --from-graded the set is only whole in training.
            check_examples(client, course_id, item_id, examples_path, examples)
    try:
        started = client.train_classifiers(
            course_id,
            item_id,
            None if examples is None else list(examples),
            from_graded_submissions=from_graded,
            algorithm_id=algorithm_id,
        )
    except EssayGraderError as exc:
        if examples_path is None:
            raise
        raise locate(exc, examples_path, examples) from exc
    for warning in started["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    uuid = started["training_workflow_uuid"]
    used = f"{started['examples_uploaded']} examples"
    if from_graded:
        used += f", {started['examples_from_graded']} staff-graded submissions"
    click.echo(f"training workflow {uuid} ({started['algorithm_id']}, {used})")
    if not wait:
        return
    with worker_for(ctx, "training"):
        workflow = wait_for_training(client, uuid)
    if workflow["status"] == "failed":
        raise click.ClickException(f"training failed: {workflow['last_error']}")
    info = client.get_classifier_set_info(course_id, item_id)
    click.echo(f"training complete: classifier set {info['uuid'] if info else '?'}")


@cli.command()
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.argument("essays_path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--wait", is_flag=True, help="Block until every essay is graded.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print each submission's student_id, external_id, submission_uuid, "
    "grading_workflow_uuid and status, one JSON object per line.",
)
@click.pass_context
def submit(
    ctx: click.Context, course_id: str, item_id: str, essays_path: Path, wait: bool, as_json: bool
) -> None:
    """Submit essays for grading from a CSV or JSONL file (student_id, text, external_id)."""
    client = client_of(ctx)
    batch = read_essays(essays_path)
    results = []
    with click.progressbar(length=len(batch), label="submitting", file=sys.stderr) as bar:
        for start in range(0, len(batch), 10_000):
            chunk = batch[start : start + 10_000]
            try:
                results += client.submit_many(course_id, item_id, chunk)
            except EssayGraderError as exc:
                raise locate(_shift(exc, start), essays_path, batch) from exc
            bar.update(len(chunk))
    waiting = sum(r["status"] == "waiting" for r in results)
    if as_json:
        for essay, result in zip(batch, results, strict=True):
            row = {"student_id": essay["student_id"], "external_id": essay["external_id"]}
            click.echo(json.dumps({**row, **result}, ensure_ascii=False))
    click.echo(
        f"submitted {counted(len(results), 'essay')}"
        + (
            f"; {waiting} wait{'s' if waiting == 1 else ''} for the item's classifiers"
            if waiting
            else ""
        ),
        err=as_json,
    )
    if not wait:
        return
    uuids = [r["grading_workflow_uuid"] for r in results]
    with worker_for(ctx, "grading"):
        statuses = wait_for_grading(client, uuids, course_id=course_id, item_id=item_id)
    counts = {s: list(statuses.values()).count(s) for s in sorted(set(statuses.values()))}
    click.echo("grading: " + ", ".join(f"{n} {s}" for s, n in counts.items()), err=as_json)
    if counts.get("waiting"):
        click.echo(
            "the waiting essays are graded once the item is trained (essaygrader train ...)",
            err=True,
        )
    if counts.get("failed"):
        raise click.ClickException(
            f"{counted(counts['failed'], 'essay')} failed; see "
            "`essaygrader status` and `essaygrader reschedule`"
        )


def _shift(error: EssayGraderError, offset: int) -> EssayGraderError:
    """Renumber ``submissions[i]`` in an error about a chunk to the file's numbering."""
    field = error.field or ""
    if offset and field.startswith("submissions["):
        index, _, rest = field[len("submissions[") :].partition("]")
        return type(error)(error.message, field=f"submissions[{int(index) + offset}]{rest}")
    return error


@cli.command()
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="Output file (default: standard output).",
)
@click.pass_context
def results(
    ctx: click.Context, course_id: str, item_id: str, output_format: str, output: TextIO
) -> None:
    """Export every submission's status and current assessment (source: ai or staff)."""
    client = client_of(ctx)
    rubric = client.get_item(course_id, item_id)["rubric"]
    scored = [c["name"] for c in rubric["criteria"] if c["options"]]
    criteria = [c["name"] for c in rubric["criteria"]]
    written = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal written
        for submission in _all_submissions(client, course_id, item_id):
            written += 1
            yield result_row(submission)

    if output_format == "csv":
        write_csv(output, result_columns(scored, criteria), rows())
    else:
        for row in rows():
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
    if output.name != "<stdout>":
        click.echo(f"wrote {counted(written, 'result')} to {output.name}", err=True)


def _all_submissions(
    client: GradingClient, course_id: str, item_id: str
) -> Iterator[SubmissionSummary]:
    offset = 0
    while True:
        page = client.list_submissions(course_id, item_id, offset=offset, limit=1000)
        yield from page["submissions"]
        offset += len(page["submissions"])
        if offset >= page["total"] or not page["submissions"]:
            return


@cli.command("grade-next")
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", required=True)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def grade_next(ctx: click.Context, course_id: str, item_id: str, limit: int, as_json: bool) -> None:
    """The submissions whose staff grades would teach the model most, and what is thin."""
    found = client_of(ctx).grade_next(course_id, item_id, limit=limit)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for choice in found["submissions"]:
        click.echo(f"{choice['submission_uuid']}  {choice['reason']}")
    click.echo(
        f"{len(found['submissions'])} of {found['ungraded']} submissions not graded by staff "
        f"({found['strategy']})"
    )
    for criterion in found["coverage"]:
        counts = ", ".join(f"{o['option']} {o['examples']}" for o in criterion["options"])
        click.echo(f"{criterion['criterion']}: {counts}; {criterion['advice']}")


# Operations ----------------------------------------------------------------------


@cli.command()
@click.option("--course", "course_id")
@click.option("--item", "item_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, course_id: str | None, item_id: str | None, as_json: bool) -> None:
    """Workflow counts, queue lengths, the oldest unfinished work and live workers."""
    if item_id is not None and course_id is None:
        raise click.UsageError("--item needs --course")
    client = client_of(ctx)
    if (
        course_id is not None
        and item_id is None
        and not client.list_items(course_id, limit=1)["total"]
    ):
        raise NotFoundError(
            f"unknown course {course_id!r}: no item belongs to it (see `essaygrader items list`)",
            field="course_id",
        )
    report = client.status(course_id, item_id)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    from essaygrader.cli.reports import format_status

    click.echo(f"{'database':9} {_where(ctx)}")
    click.echo(format_status(report))


def _where(ctx: click.Context) -> str:
    """Which database (or service) a command works on."""
    remote = remote_server(ctx)
    if remote:
        return f"the service at {remote}"
    settings = local_runtime(ctx).settings
    if settings.embedded_database is not None:
        return f"{settings.embedded_database} (data directory {settings.data_dir.resolve()})"
    return mask_url(settings.database_url)


@cli.command()
@click.argument("workflow_uuid", metavar="UUID")
@click.pass_context
def workflow(ctx: click.Context, workflow_uuid: str) -> None:
    """Print a workflow's status as JSON: a training or grading workflow's uuid, or a
    submission's (its grading workflow is shown)."""
    client = client_of(ctx)
    found: TrainingWorkflowOut | GradingWorkflowOut | None
    try:
        found = client.get_training_workflow(workflow_uuid)
    except NotFoundError:
        try:
            found = client.get_grading_workflow(workflow_uuid)
        except NotFoundError:
            try:
                found = client.get_submission(workflow_uuid)["grading_workflow"]
            except NotFoundError as exc:
                raise NotFoundError(
                    f"no training or grading workflow and no submission {workflow_uuid!r}",
                    field="workflow_uuid",
                    code="grading_workflow_not_found",
                ) from exc
    click.echo(json.dumps(found, indent=2))


@cli.command()
@click.option("--course", "course_id", required=True)
@click.option("--item", "item_id", help="The item (default: every item of the course).")
@click.option(
    "--type",
    "task_type",
    type=click.Choice(["train", "grade", "all"]),
    default="all",
    show_default=True,
)
@click.pass_context
def reschedule(ctx: click.Context, course_id: str, item_id: str | None, task_type: str) -> None:
    """Queue unfinished training and grading tasks again, training first; locally, also
    the grade passbacks and webhook deliveries owed to course platforms."""
    counts = client_of(ctx).reschedule_unfinished_tasks(course_id, item_id, task_type)
    waiting = counts["grading_waiting"]
    click.echo(
        f"rescheduled {counts['training_scheduled']} training and "
        f"{counted(counts['grading_scheduled'], 'grading task')}; "
        f"{counted(waiting, 'submission')} wait{'s' if waiting == 1 else ''} for classifiers"
    )
    not_retried = counts.get("training_not_retried", 0)
    if not_retried:
        click.echo(
            f"not retrained: {counted(not_retried, 'training')} failed the item's quality gate "
            "and would fail it again on the same examples; lower the gate (`essaygrader items "
            "update --min-qwk Q` or --no-min-qwk) or train with more examples "
            "(`essaygrader train`)",
            err=True,
        )
    if remote_server(ctx) is None:
        # Grades and webhooks owed to course platforms (every course's: sending again
        # what was sent already sends nothing).
        lti = local_runtime(ctx).lti
        passbacks, deliveries = lti.reschedule_passbacks(), lti.reschedule_deliveries()
        if passbacks or deliveries:
            click.echo(
                f"queued {counted(passbacks, 'grade passback')} and "
                f"{counted(deliveries, 'webhook delivery', 'webhook deliveries')} "
                "owed to course platforms"
            )


@cli.command()
@click.option("--older-than", type=float, help="Seconds (default: sweep_age_seconds).")
@click.pass_context
def sweep(ctx: click.Context, older_than: float | None) -> None:
    """Queue again the unfinished workflows scheduled long ago (runs once)."""
    counts = require_data(local_runtime(ctx)).worker.sweep(older_than=older_than)
    click.echo(
        f"sent again: {counts['training']} training, {counts['grading']} grading; "
        f"given classifiers: {counts['released']}; failed after too many attempts: "
        f"{counts['failed']}"
    )


@cli.command()
@click.option(
    "--queues",
    default="training,grading",
    show_default=True,
    help="Comma-separated queues to consume.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=lambda: os.cpu_count() or 1,
    show_default="CPU count",
    help="Worker processes.",
)
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker(ctx: click.Context, queues: str, concurrency: int, loglevel: str) -> None:
    """Run a worker: train and grade tasks from the queues until stopped."""
    from essaygrader.api.queue import QUEUE_FOR_TASK
    from essaygrader.queues.worker import run_worker

    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(names) - set(QUEUE_FOR_TASK.values()))
    if unknown or not names:
        raise click.BadParameter(
            f"unknown queue {unknown[0] if unknown else '(none)'!r}; use training and/or grading",
            param_hint="--queues",
        )
    logging.getLogger().setLevel(loglevel.upper())
    root = ctx.find_root()
    if root.obj is None:
        root.obj = Runtime(role="worker")  # a worker's smaller database pool
        root.call_on_close(root.obj.close)
    runtime = local_runtime(ctx)
    runtime.database.migrate()
    ctx.exit(run_worker(runtime, queues=names, concurrency=concurrency, loglevel=loglevel.upper()))


@cli.command()
@click.option(
    "--examples",
    "examples_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the demo item (default: the example shipped with essaygrader).",
)
@click.option(
    "--keep",
    is_flag=True,
    help="Keep the demo's data directory (printed at the end) to look around in it.",
)
@click.pass_context
def demo(ctx: click.Context, examples_dir: Path | None, keep: bool) -> None:
    """Run the whole flow on the small example item and print its grades.

    It runs in a data directory of its own, made for it, so it never touches the
    database of a running service; it is removed at the end unless --keep is given.
    """
    from essaygrader.cli.demo import run_demo_apart

    refuse_server(ctx)
    run_demo_apart(examples_dir, keep=keep)


def _register_subcommands() -> None:
    from essaygrader.cli.bench import bench
    from essaygrader.cli.items import items
    from essaygrader.cli.lti import lti
    from essaygrader.cli.review import review
    from essaygrader.cli.serve import serve
    from essaygrader.cli.students import audit, erase_student, purge_texts
    from essaygrader.cli.tokens import tokens

    cli.add_command(bench)
    cli.add_command(items)
    cli.add_command(lti)
    cli.add_command(review)
    cli.add_command(serve)
    cli.add_command(tokens)
    cli.add_command(erase_student)
    cli.add_command(purge_texts)
    cli.add_command(audit)


_register_subcommands()
