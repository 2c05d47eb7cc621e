"""``essaygrader bench``: commands that measure and print (accuracy, load, memory, training).

Benchmarks report figures; they never pass or fail on them. Each subcommand lives in its
own module and registers itself on :data:`bench`.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from essaygrader.algorithms.registry import AlgorithmRegistry


@click.group()
def bench() -> None:
    """Measure accuracy and throughput, and print the figures."""


_asap_data = click.option(
    "--data",
    "data_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The ASAP folder (training_set_rel3.tsv and folds/).",
)


def _registry() -> AlgorithmRegistry:
    """The built-in algorithms and those the ``algorithms`` setting adds."""
    from essaygrader.algorithms.registry import AlgorithmRegistry
    from essaygrader.config import Settings

    return AlgorithmRegistry(Settings.load().algorithms)


@bench.command("load")
@click.option("--engine", type=click.Choice(["embedded", "redis", "rabbitmq"]), required=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Pool processes per worker.",
)
@click.option("--essays", type=click.IntRange(1), default=10_000, show_default=True)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Essays per second, one at a time (default: one burst).",
)
@click.option("--algorithm", help="Default: the default_algorithm setting, else fake.")
@click.option("--broker-url", help="Overrides the broker_url setting.")
@click.option("--database-url", help="Overrides the database_url setting.")
@click.option(
    "--timeout",
    type=float,
    default=3600,
    show_default=True,
    help="Seconds to wait for training, and for grading.",
)
def load(**options: Any) -> None:
    """Drain essays with N real workers: drain time, essays/s, latency p50/p95/p99.

    Use a scratch database and broker: it creates an item there and runs its own workers.
    """
    from essaygrader.bench.load import LoadPlan, format_result, run_load
    from essaygrader.config import Settings

    # Stopped with SIGTERM, it still stops the workers it started (run_load's finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = LoadPlan(**options)
    result = run_load(plan, Settings.load(), lambda line: click.echo(line, err=True))
    click.echo(format_result(result))


@bench.command("faults")
@click.option(
    "--stack",
    "stacks",
    type=click.Choice(["embedded", "postgres-redis"]),
    multiple=True,
    default=["embedded"],
    show_default=True,
    help="Repeat for several. postgres-redis starts its own redis-server on a free port.",
)
@click.option(
    "--faults",
    default="all",
    show_default=True,
    help="Comma-separated: kill-grading, kill-training, kill-grading-default-sweep, "
    "pool-child, broker-outage, "
    "pg-terminate, blob-tamper, duplicate-delivery, s3-outage (needs moto's server).",
)
@click.option("--rounds", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option(
    "--database-url",
    default="",
    help="postgres-redis: a scratch PostgreSQL database (its rows are left behind).",
)
@click.option("--seed", type=int, default=0, show_default=True)
def faults(stacks: tuple[str, ...], faults: str, rounds: int, database_url: str, seed: int) -> None:
    """Kill workers, stop the broker, cut database connections, alter a classifier, deliver
    tasks twice, on real worker processes; print what was lost, duplicated, and how long
    recovery took.

    Use a scratch database: each round creates an item in it.
    """
    from essaygrader.bench.faults import (
        FAULTS,
        FaultSummary,
        format_summaries,
        open_stack,
        run_fault,
    )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = list(FAULTS) if faults == "all" else [f.strip() for f in faults.split(",")]
    unknown = sorted(set(chosen) - set(FAULTS))
    if unknown:
        raise click.BadParameter(f"unknown fault(s) {unknown}", param_hint="--faults")
    summaries = []
    for stack_name in stacks:
        with open_stack(stack_name, database_url) as stack:
            for fault in chosen:
                if fault == "pg-terminate" and stack_name == "embedded":
                    continue
                results = []
                for number in range(rounds):
                    result = run_fault(stack, fault, number, seed=seed * 1000 + number)
                    click.echo(
                        f"{stack_name} {fault} round {number + 1}: lost {result.lost}, "
                        f"duplicated {result.duplicated}, recovered in "
                        f"{result.recover_seconds if result.recover_seconds is not None else '-'} s"
                        + (f" ({'; '.join(result.notes)})" if result.notes else ""),
                        err=True,
                    )
                    results.append(result)
                summaries.append(FaultSummary(fault, stack_name, results))
    click.echo(format_summaries(summaries))


def _numbers(text: str, *, low: int, high: int, name: str) -> list[int]:
    """``1-8`` or ``1,3,5`` (or both) as a sorted list within [low, high]."""
    chosen: set[int] = set()
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            chosen.update(range(int(first), int(last or first) + 1))
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r}: use a range like 1-8 or a list like 1,3,5", param_hint=name
        ) from exc
    if not chosen or min(chosen) < low or max(chosen) > high:
        raise click.BadParameter(f"{text!r}: choose from {low} to {high}", param_hint=name)
    return sorted(chosen)


@bench.command("accuracy")
@_asap_data
@click.option(
    "--algorithms", default="default,ease", show_default=True, help="Comma-separated algorithm ids."
)
@click.option("--prompts", default="1-8", show_default=True, help="ASAP prompts, e.g. 1-8 or 1,3.")
@click.option("--folds", default="0-4", show_default=True, help="Folds of the 5-fold split.")
@click.option(
    "--split",
    type=click.Choice(["test", "dev"]),
    default="test",
    show_default=True,
    help="test: train on train+dev ids, score test ids (the published protocol); "
    "dev: train on train ids, score dev ids (for choosing models).",
)
@click.option(
    "--traits",
    "traits_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The asap-traits folder: the standard multi-trait protocol on all 8 prompts "
    "(the first algorithm called directly, one classifier per trait), then the ASAP++ "
    "split (from --plus-plus, or the asap-plus-plus folder beside it). An ASAP++ folder "
    "here runs that split alone.",
)
@click.option(
    "--plus-plus",
    "plus_plus_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The ASAP++ folder: grade prompts 1-6 trait by trait through the training and "
    "grading pipeline.",
)
@click.option(
    "--traits-only", is_flag=True, help="Skip the holistic table (the trait tables include it)."
)
@click.option("--no-plus-plus", is_flag=True, help="Skip the ASAP++ split.")
@click.option("--no-speed", is_flag=True, help="Skip the throughput, size and load-time runs.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every figure as JSON to this file.",
)
def accuracy(
    data_dir: Path,
    algorithms: str,
    prompts: str,
    folds: str,
    split: str,
    traits_dir: Path | None,
    plus_plus_dir: Path | None,
    traits_only: bool,
    no_plus_plus: bool,
    no_speed: bool,
    json_path: Path | None,
) -> None:
    """QWK, RMSE and exact agreement per prompt on ASAP's 5-fold split, per trait on the
    standard multi-trait protocol and on ASAP++, and speed.

    With --split test (the published protocol) train on each fold's train and dev ids and
    score its test ids; with --split dev train on its train ids and score its dev ids.
    Average the folds per prompt and the prompts overall. For per-core timings run it on
    one core (``taskset -c 1``, ``OMP_NUM_THREADS=1``).
    """
    from essaygrader.algorithms.registry import AlgorithmRegistry
    from essaygrader.bench.accuracy import format_table, run_accuracy
    from essaygrader.bench.datasets import PLUS_PLUS_TRAITS
    from essaygrader.bench.pipeline import train_rubric_through_pipeline
    from essaygrader.bench.traits import TRAITS_FILE, format_trait_protocol, run_trait_protocol
    from essaygrader.config import Settings

    settings = Settings.load()
    ids = [a.strip() for a in algorithms.split(",") if a.strip()]
    chosen_prompts = _numbers(prompts, low=1, high=8, name="--prompts")
    chosen_folds = _numbers(folds, low=0, high=4, name="--folds")
    standard_dir = traits_dir if traits_dir and (traits_dir / TRAITS_FILE).is_file() else None
    if traits_dir is not None and standard_dir is None:
        plus_plus_dir = plus_plus_dir or traits_dir
    elif standard_dir is not None and plus_plus_dir is None:
        beside = standard_dir.resolve().parent / "asap-plus-plus"
        plus_plus_dir = beside if beside.is_dir() else None
    if no_plus_plus:
        plus_plus_dir = None
    registry = AlgorithmRegistry(settings.algorithms)
    figures: dict[str, object] = {}

    def say(line: str) -> None:
        click.echo(line, err=True)

    if standard_dir is not None:
        protocol = run_trait_protocol(
            data_dir,
            standard_dir,
            ids[0],
            chosen_prompts,
            folds=chosen_folds,
            split=split,
            registry=registry,
            progress=say,
        )
        click.echo(format_trait_protocol(protocol))
        click.echo()
        figures["trait_protocol"] = protocol.to_dict()
    steps = 0 if traits_only else len(ids) * len(chosen_prompts) * len(chosen_folds)
    if plus_plus_dir is not None:
        steps += len(ids) * len([p for p in chosen_prompts if p in PLUS_PLUS_TRAITS])
    if steps == 0:
        _write_json(json_path, figures)
        return
    with click.progressbar(length=steps, label="benchmark", file=sys.stderr) as bar:
        result = run_accuracy(
            data_dir,
            ids,
            chosen_prompts,
            folds=[] if traits_only else chosen_folds,
            split=split,
            traits_dir=plus_plus_dir,
            registry=registry,
            rubric_trainer=train_rubric_through_pipeline(algorithms=settings.algorithms),
            measure=not (no_speed or traits_only),
            advance=lambda: bar.update(1),
        )
    click.echo(format_table(result, holistic=not traits_only))
    figures.update(result.to_dict())
    _write_json(json_path, figures)


def _write_json(path: Path | None, figures: dict[str, object]) -> None:
    import json

    if path is not None:
        path.write_text(json.dumps(figures, indent=2), encoding="utf-8")


@bench.command("memory")
@_asap_data
@click.option("--algorithm", default="default", show_default=True)
@click.option(
    "--prompts", default="1-8", show_default=True, help="ASAP prompts to train models on."
)
@click.option("--sets", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option(
    "--criteria",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Criteria per classifier set.",
)
def memory(data_dir: Path, algorithm: str, prompts: str, sets: int, criteria: int) -> None:
    """A worker process's resident memory with N classifier sets loaded and scoring.

    Trains one classifier per ASAP prompt, then loads SETS sets of CRITERIA classifiers
    from their stored bytes in a fresh process and prints its memory (Linux only).
    """
    from essaygrader.bench.memory import run_memory

    report = run_memory(
        data_dir,
        algorithm_id=algorithm,
        sets=sets,
        criteria=criteria,
        prompts=_numbers(prompts, low=1, high=8, name="--prompts"),
        registry=_registry(),
        progress=lambda line: click.echo(line, err=True),
    )
    click.echo(report.format())


@bench.command("training")
@_asap_data
@click.option("--algorithm", default="default", show_default=True)
@click.option("--essays", type=click.IntRange(2), default=1800, show_default=True)
@click.option("--criteria", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option(
    "--prompts", default="1-2", show_default=True, help="ASAP prompts the essays come from."
)
def training(data_dir: Path, algorithm: str, essays: int, criteria: int, prompts: str) -> None:
    """Seconds to train each criterion of a rubric on N real essays, features shared.

    For a per-core figure run it on one core (``taskset -c 1``, ``OMP_NUM_THREADS=1``).
    """
    from essaygrader.bench.training import run_training_times

    times = run_training_times(
        data_dir,
        algorithm_id=algorithm,
        essays=essays,
        criteria=criteria,
        prompts=_numbers(prompts, low=1, high=8, name="--prompts"),
        registry=_registry(),
    )
    click.echo(times.format())


@bench.command("flags")
@_asap_data
@click.option("--prompts", default="1-8", show_default=True, help="ASAP prompts, e.g. 1-8 or 1,3.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated cases.")
@click.option(
    "--folds",
    default="0",
    show_default=True,
    help="Folds of the 5-fold split, counted together (thresholds were chosen on 1-4).",
)
@click.option(
    "--list-false",
    "list_false",
    # FLAG_CODES, by hand: the flags are imported only when the command runs.
    type=click.Choice(["too_short", "not_text", "duplicate", "copied_prompt", "off_topic"]),
    help="Also list the real essays that got this flag, with their raters' score.",
)
def flags(data_dir: Path, prompts: str, seed: int, folds: str, list_false: str | None) -> None:
    """Advisory flags: real essays falsely flagged and generated bad cases caught, per flag.

    Each prompt's item is a fold's train and dev essays with a prompt written for the
    benchmark; its test essays are the real submissions; keyboard mash, repeated phrases,
    symbols, edited copies, the prompt pasted back, essays of other prompts and cut-down
    essays are generated at run time.
    """
    from essaygrader.bench.flags import format_false_flags, format_flags, run_flags

    results = run_flags(
        data_dir,
        _numbers(prompts, low=1, high=8, name="--prompts"),
        seed,
        lambda line: click.echo(line, err=True),
        folds=_numbers(folds, low=0, high=4, name="--folds"),
    )
    click.echo(format_flags(results))
    if list_false:
        click.echo(format_false_flags(results, list_false))


@bench.command("grade-next")
@_asap_data
@click.option("--prompts", default="1,3,7", show_default=True, help="ASAP prompts, e.g. 1-8.")
@click.option("--seeds", default="0-2", show_default=True, help="Seeds, e.g. 0-4.")
@click.option("--algorithm", default="default", show_default=True)
# To compare grade-next's choosers; the API uses the default.
@click.option("--strategy", type=click.Choice(["mixed", "balanced"]), default="mixed", hidden=True)
def grade_next(data_dir: Path, prompts: str, seeds: str, algorithm: str, strategy: str) -> None:
    """QWK after 50, 100 and 200 staff grades chosen by grade-next, and chosen at random.

    Fold 0's train and dev essays of each prompt are the ungraded submissions, its test
    essays the measure; the mean over the seeds is printed.
    """
    from essaygrader.bench.grade_next import format_curves, run_grade_next

    result = run_grade_next(
        data_dir,
        _numbers(prompts, low=1, high=8, name="--prompts"),
        _numbers(seeds, low=0, high=1000, name="--seeds"),
        _registry(),
        algorithm,
        lambda line: click.echo(line, err=True),
        chooser=strategy,
    )
    click.echo(format_curves(result))


@bench.command("item-files")
@_asap_data
@click.option("--prompt", type=click.IntRange(1, 8), default=8, show_default=True)
@click.option("--fold", type=click.IntRange(0, 4), default=0, show_default=True)
@click.option("--split", type=click.Choice(["test", "dev"]), default="test", show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder outside the repository (the essays may not be copied into it).",
)
def item_files(data_dir: Path, prompt: int, fold: int, split: str, out: Path) -> None:
    """Write an ASAP prompt as a user's files: rubric.json (an option per point value),
    training.csv (the fold's training ids), essays.csv and truth.csv (its evaluation ids).

    Then create, train, submit and export with the usual commands, and compare with
    ``essaygrader bench agreement``.
    """
    from essaygrader.bench.item_files import write_item_files

    written = write_item_files(data_dir, prompt, out, fold=fold, split=split)
    click.echo(
        f"wrote {written.folder}: a rubric of {written.options} options, "
        f"{written.examples} graded examples, {written.essays} essays to grade"
    )


@bench.command("agreement")
@click.option(
    "--truth", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--results", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--prompt", type=click.IntRange(1, 8), default=8, show_default=True)
def agreement(truth: Path, results: Path, prompt: int) -> None:
    """QWK, RMSE and exact agreement of ``essaygrader results`` against truth.csv."""
    from essaygrader.bench.item_files import agreement as compare

    click.echo(compare(truth, results, prompt).format())


@bench.command("traits-table")
@click.argument(
    "results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def traits_table(results: tuple[Path, ...]) -> None:
    """Print the trait tables of ``bench accuracy --traits ... --json`` runs over different
    prompts together, as one run over all of them would (averaged the same way)."""
    import json

    from essaygrader.bench.traits import format_trait_protocol, merge_results

    parts = [json.loads(path.read_text(encoding="utf-8"))["trait_protocol"] for path in results]
    click.echo(format_trait_protocol(merge_results(parts)))
