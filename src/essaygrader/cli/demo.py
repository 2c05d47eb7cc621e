"""``essaygrader demo``: the whole flow on the small item shipped in ``examples/demo``."""

from __future__ import annotations

import time
from dataclasses import dataclass
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
from essaygrader.errors import ConflictError, InternalError
from essaygrader.runtime import Runtime

COURSE_ID = "demo-course"
ITEM_ID = "maple-street-letter"


def find_examples() -> Path:
    """``examples/demo`` of the source checkout, or of the current folder."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd()):
        folder = base / "examples" / "demo"
        if (folder / "rubric.json").is_file():
            return folder
    raise InternalError(
        "cannot find examples/demo; run from the project's folder or pass --examples",
        code="configuration_error",
    )


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
        training = client.train_classifiers(COURSE_ID, ITEM_ID, examples)
        click.echo(
            f"training on {len(examples)} graded examples "
            f"with algorithm {training['algorithm_id']!r}"
        )
        workflow = wait_for_training(client, training["training_workflow_uuid"])
        if workflow["status"] != "complete":
            raise click.ClickException(f"training failed: {workflow['last_error']}")
        submitted = client.submit_many(COURSE_ID, ITEM_ID, essays)
        click.echo(f"grading {len(submitted)} essays")
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
    click.echo(
        f"\ndone in {time.monotonic() - started:.1f}s; "
        f"export with: essaygrader results --course {COURSE_ID} --item {ITEM_ID}"
    )
