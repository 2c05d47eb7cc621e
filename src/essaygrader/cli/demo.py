"""``essaygrader demo``: the whole flow on the small example item shipped in the package
(``essaygrader/examples/demo``), in a data directory of its own."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from essaygrader.cli.files import read_essays, read_examples, read_json, read_text
from essaygrader.cli.reports import format_table
from essaygrader.cli.waiting import (
    GradingClient,
    wait_for_grading,
    wait_for_training,
    worker_available,
)
from essaygrader.config import Settings
from essaygrader.domain.wording import counted
from essaygrader.errors import ConflictError, InternalError
from essaygrader.runtime import Runtime

COURSE_ID = "demo-course"
ITEM_ID = "maple-street-letter"


def find_examples() -> Path:
    """The example item shipped inside the package (``essaygrader/examples/demo``).

    Raises:
        InternalError: ``configuration_error``; the package was installed without its data files.
    """
    folder = Path(str(files("essaygrader") / "examples" / "demo"))
    if not (folder / "rubric.json").is_file():
        raise InternalError(
            f"the example item is missing from this installation ({folder}); reinstall "
            "essaygrader, or pass --examples with a folder of rubric.json, prompt.txt, "
            "training.csv and essays.csv",
            code="configuration_error",
        )
    return folder


@dataclass(frozen=True)
class Example:
    """The example item's files, read and checked."""

    rubric: dict[str, Any]
    prompt: str
    examples: list[dict[str, Any]]
    essays: list[dict[str, Any]]


def read_example(folder: Path) -> Example:
    """Read the rubric, prompt, graded examples and essays of an example folder."""
    rubric = read_json(folder / "rubric.json")
    return Example(
        rubric=rubric,
        prompt=read_text(folder / "prompt.txt"),
        examples=read_examples(folder / "training.csv", rubric),
        essays=read_essays(folder / "essays.csv"),
    )


def put_example_item(client: GradingClient, example: Example) -> bool:
    """Create the example item, or bring an existing one up to date.

    Returns:
        True when the item was created.
    """
    try:
        client.create_item(COURSE_ID, ITEM_ID, example.rubric, prompt=example.prompt)
    except ConflictError:
        client.update_item(COURSE_ID, ITEM_ID, rubric=example.rubric, prompt=example.prompt)
        return False
    return True


def run_demo(runtime: Runtime, examples_dir: Path | None) -> None:
    """Create the demo item, train it, grade its essays and print the grades."""
    started = time.monotonic()
    example = read_example(examples_dir or find_examples())
    rubric, examples, essays = example.rubric, example.examples, example.essays
    client = runtime.client
    created = put_example_item(client, example)
    click.echo(f"{'created' if created else 'using'} item {COURSE_ID}/{ITEM_ID}")
    with worker_available(runtime, "training"):
        training = client.train_classifiers(COURSE_ID, ITEM_ID, list(examples))
        click.echo(
            f"training on {len(examples)} graded examples "
            f"with algorithm {training['algorithm_id']!r}"
        )
        workflow = wait_for_training(client, training["training_workflow_uuid"])
        if workflow["status"] != "complete":
            raise click.ClickException(f"training failed: {workflow['last_error']}")
        submitted = client.submit_many(COURSE_ID, ITEM_ID, list(essays))
        click.echo(f"grading {counted(len(submitted), 'essay')}")
        wait_for_grading(
            client,
            [s["grading_workflow_uuid"] for s in submitted],
            course_id=COURSE_ID,
            item_id=ITEM_ID,
        )
    criteria = [c["name"] for c in rubric["criteria"] if c["options"]]
    rows = []
    for submission, essay in zip(submitted, essays, strict=True):
        assessment = client.get_latest_assessment(submission["submission_uuid"])
        parts = {p["criterion"]: p for p in (assessment["parts"] if assessment else [])}
        rows.append(
            [
                essay["student_id"],
                essay["external_id"] or "",
                *(
                    f"{parts[c]['option']} ({parts[c]['points']})" if c in parts else "-"
                    for c in criteria
                ),
                f"{assessment['points_earned']}/{assessment['points_possible']}"
                if assessment
                else "not graded",
            ]
        )
    click.echo()
    click.echo(format_table(["student", "submission", *criteria, "total"], rows))
    click.echo(f"\ndone in {time.monotonic() - started:.1f}s")


def run_demo_apart(examples_dir: Path | None, *, keep: bool) -> None:
    """Run the demo in a new data directory of its own (embedded database, broker and
    classifiers), whatever the settings name, so a running service's data is never
    touched; remove the directory afterwards unless ``keep``."""
    folder = Path(tempfile.mkdtemp(prefix="essaygrader-demo-"))
    settings = Settings.load().with_overrides(
        data_dir=folder,
        database_url="",
        broker_url="",
        storage_url="",
        classifier_disk_cache_dir="",
    )
    click.echo(f"the demo runs in a data directory of its own: {folder}")
    runtime = Runtime(settings)
    try:
        run_demo(runtime, examples_dir)
    finally:
        runtime.close()
        if keep:
            click.echo(
                f"kept {folder}; look around with ESSAYGRADER_DATA_DIR={folder} before "
                f"`essaygrader results --course {COURSE_ID} --item {ITEM_ID}` or "
                "`essaygrader serve`"
            )
        else:
            shutil.rmtree(folder, ignore_errors=True)
            click.echo(f"removed {folder}; keep it with `essaygrader demo --keep`")
