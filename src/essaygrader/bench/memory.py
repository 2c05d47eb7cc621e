"""A grading worker's memory with many classifier sets loaded.

Classifiers are trained on ASAP prompts (one per prompt, on fold 0's train and dev ids),
stored in the model format, and then loaded by a fresh Python process the way a worker
loads them: ``N`` classifier sets of ``C`` criteria, each criterion decoded from its
stored bytes into its own object (a worker that meets the same blob twice shares it; this
measure does not, so it is the upper bound), and each set used to grade its own slice of
essays from every prompt one at a time, as grading tasks do, so that the memos a
long-lived worker fills as it meets new words (per classifier, and per process) are part
of the figure. The process reports its resident memory before loading, after, and at its
peak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from essaygrader.algorithms.base import FeatureCache
from essaygrader.algorithms.model_format import decode_model, encode_model
from essaygrader.algorithms.registry import AlgorithmRegistry
from essaygrader.bench.datasets import ASAP_SCORE_RANGES, load_asap, read_folds

ESSAYS_PER_SET = 500


@dataclass(frozen=True)
class MemoryReport:
    """Resident memory of a process holding ``sets`` classifier sets.

    Attributes:
        algorithm_id: The algorithm the classifiers use.
        sets: Classifier sets loaded.
        criteria: Criteria (classifiers) per set.
        distinct_models: Distinct trained models the sets were loaded from.
        model_bytes: Total stored size of the distinct models.
        baseline_mib: Resident memory after imports, before loading any classifier.
        loaded_mib: Resident memory with every set loaded and used to score.
        peak_mib: The process's peak resident memory.
    """

    algorithm_id: str
    sets: int
    criteria: int
    distinct_models: int
    model_bytes: int
    baseline_mib: float
    loaded_mib: float
    peak_mib: float

    def format(self) -> str:
        per_set = (self.loaded_mib - self.baseline_mib) / self.sets
        return "\n".join(
            [
                f"algorithm         {self.algorithm_id}",
                f"classifier sets   {self.sets} x {self.criteria} criteria "
                f"(from {self.distinct_models} trained models, "
                f"{self.model_bytes / 1024:.0f} KiB stored)",
                f"resident memory   {self.baseline_mib:.0f} MiB before loading, "
                f"{self.loaded_mib:.0f} MiB loaded ({per_set:.1f} MiB per set), "
                f"peak {self.peak_mib:.0f} MiB",
            ]
        )


def run_memory(
    data_dir: Path,
    *,
    algorithm_id: str = "default",
    sets: int = 20,
    criteria: int = 3,
    prompts: Sequence[int] = tuple(range(1, 9)),
    registry: AlgorithmRegistry | None = None,
    progress: Callable[[str], None] | None = None,
) -> MemoryReport:
    """Train one model per prompt, then measure a fresh process holding ``sets`` sets.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
        RequestError: ``unknown_algorithm``; ``algorithm_id`` is not registered.
        RuntimeError: The measuring process failed.
    """
    registry = registry or AlgorithmRegistry()
    registry.check(algorithm_id)
    say = progress or (lambda _line: None)
    essays = load_asap(data_dir)
    fold = read_folds(data_dir)[0]
    with tempfile.TemporaryDirectory(prefix="essaygrader-memory-") as scratch:
        folder = Path(scratch)
        model_bytes = 0
        for prompt in prompts:
            low, high = ASAP_SCORE_RANGES[prompt]
            train, _ = fold.split(essays, prompt)
            classifier = registry.new(algorithm_id).fit(
                [e.text for e in train],
                [e.score for e in train],
                valid_points=list(range(low, high + 1)),
            )
            blob = encode_model(classifier.to_model())
            model_bytes += len(blob)
            (folder / f"model-{prompt}.bin").write_bytes(blob)
            say(f"trained P{prompt} ({len(train)} essays, {len(blob) / 1024:.0f} KiB)")
        wanted = sets * ESSAYS_PER_SET
        texts = [essays[i % len(essays)].text for i in range(wanted)]
        (folder / "essays.json").write_text(json.dumps(texts), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "essaygrader.bench.memory",
            str(folder),
            algorithm_id,
            str(sets),
            str(criteria),
        ]
        say(f"loading {sets} sets of {criteria} criteria in a fresh process")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{done.stderr.strip()}")
        figures = json.loads(done.stdout)
    return MemoryReport(
        algorithm_id=algorithm_id,
        sets=sets,
        criteria=criteria,
        distinct_models=len(prompts),
        model_bytes=model_bytes,
        **figures,
    )


def _status_mib(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _measure(folder: Path, algorithm_id: str, sets: int, criteria: int) -> dict[str, float]:
    from essaygrader.config import Settings

    registry = AlgorithmRegistry(Settings.load().algorithms)
    blobs = [path.read_bytes() for path in sorted(folder.glob("model-*.bin"))]
    texts = json.loads((folder / "essays.json").read_text(encoding="utf-8"))
    registry.load(algorithm_id, decode_model(blobs[0])).predict(texts[:2])  # imports, memos
    baseline = _status_mib("VmRSS")
    loaded = []
    for number in range(sets):
        batch = texts[number * ESSAYS_PER_SET : (number + 1) * ESSAYS_PER_SET]
        rubric = [
            registry.load(algorithm_id, decode_model(blobs[(number + i) % len(blobs)]))
            for i in range(criteria)
        ]
        for text in batch:
            cache = FeatureCache()  # a grading task's: one essay, every criterion
            for classifier in rubric:
                classifier.predict([text], cache=cache)
        loaded.append(rubric)
    return {
        "baseline_mib": baseline,
        "loaded_mib": _status_mib("VmRSS"),
        "peak_mib": _status_mib("VmHWM"),
    }


if __name__ == "__main__":
    if not os.path.exists("/proc/self/status"):
        sys.exit("memory figures need /proc (Linux)")
    folder_arg, algorithm_arg, sets_arg, criteria_arg = sys.argv[1:5]
    print(json.dumps(_measure(Path(folder_arg), algorithm_arg, int(sets_arg), int(criteria_arg))))
