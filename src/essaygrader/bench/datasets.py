"""Readers for the public benchmark sets: ASAP-AES with its 5-fold split, and ASAP++.

The data is read from disk at run time and never copied into the project. Formats are
described in the data folder's README; the quirks handled here are ASAP's latin-1
encoding and its quotes (read without quote handling, then strip one surrounding pair,
or three essays merge into one), and ASAP++'s malformed header (read by position).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from essaygrader.errors import EssayGraderError

ASAP_FILE = "training_set_rel3.tsv"
ASAP_ROWS = 12_978

# The score range of ``domain1_score`` per prompt, as the protocol's QWK uses it.
ASAP_SCORE_RANGES: dict[int, tuple[int, int]] = {
    1: (2, 12), 2: (1, 6), 3: (0, 3), 4: (0, 3), 5: (0, 4), 6: (0, 4), 7: (0, 30), 8: (0, 60),
}  # fmt: skip

_FOLD_PARTS = ("train", "dev", "test")
# What a benchmark scores: the published test ids, or the dev ids for choosing models.
EVALUATION_SPLITS = ("test", "dev")

PLUS_PLUS_FOLDER = "aes-cross-val-data-attributes-tsv"
PLUS_PLUS_SPLITS = ("train", "dev", "test")
_ESSAY_TRAITS = ("Content", "Organization", "Word Choice", "Sentence Fluency", "Conventions")
_SOURCE_TRAITS = ("Content", "Prompt Adherence", "Language", "Narrativity")
# Trait names and score range per ASAP++ prompt; columns follow the holistic score.
PLUS_PLUS_TRAITS: dict[int, tuple[tuple[str, ...], tuple[int, int]]] = {
    1: (_ESSAY_TRAITS, (1, 6)), 2: (_ESSAY_TRAITS, (1, 6)),
    3: (_SOURCE_TRAITS, (0, 3)), 4: (_SOURCE_TRAITS, (0, 3)),
    5: (_SOURCE_TRAITS, (0, 4)), 6: (_SOURCE_TRAITS, (0, 4)),
}  # fmt: skip


class BenchmarkDataError(EssayGraderError):
    """The benchmark data is missing or not in the expected format."""

    code = "benchmark_data_error"


@dataclass(frozen=True)
class AsapEssay:
    """One ASAP essay with its holistic score (``domain1_score``)."""

    essay_id: int
    prompt: int
    text: str
    score: int


@dataclass(frozen=True)
class Fold:
    """One fold of the standard split: essay ids to train on, tune on, and test."""

    train: frozenset[int]
    dev: frozenset[int]
    test: frozenset[int]

    def ids(self, split: str = "test") -> tuple[frozenset[int], frozenset[int]]:
        """The ids to train on and to score for an evaluation ``split``.

        ``test`` (the published protocol) trains on the train and dev ids and scores the
        test ids; ``dev`` trains on the train ids alone and scores the dev ids, so model
        choices can be made without looking at the test ids.

        Raises:
            ValueError: ``split`` is neither ``test`` nor ``dev``.
        """
        if split == "test":
            return self.train | self.dev, self.test
        if split == "dev":
            return self.train, self.dev
        raise ValueError(f"split must be one of {', '.join(EVALUATION_SPLITS)}, not {split!r}")

    def split(
        self, essays: Sequence[AsapEssay], prompt: int, evaluate: str = "test"
    ) -> tuple[list[AsapEssay], list[AsapEssay]]:
        """The prompt's essays to train on and to score (see :meth:`ids`)."""
        learn, scored = self.ids(evaluate)
        own = [e for e in essays if e.prompt == prompt]
        return [e for e in own if e.essay_id in learn], [e for e in own if e.essay_id in scored]


@dataclass(frozen=True)
class TraitEssay:
    """One ASAP++ essay with its per-trait scores, in :data:`PLUS_PLUS_TRAITS` order."""

    essay_id: int
    prompt: int
    text: str
    traits: tuple[int, ...]


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def _tsv_rows(path: Path, encoding: str) -> list[list[str]]:
    if not path.is_file():
        raise BenchmarkDataError(f"benchmark file {path} not found", path=str(path))
    with path.open(encoding=encoding, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        raise BenchmarkDataError(f"benchmark file {path} is empty", path=str(path))
    return rows[1:]


def load_asap(data_dir: Path) -> list[AsapEssay]:
    """Every essay of ``data_dir/training_set_rel3.tsv``.

    Raises:
        BenchmarkDataError: The file is missing, or a row is malformed, or the row count
            is not the published 12,978 (a sign of wrong quote handling).
    """
    essays = []
    for number, row in enumerate(_tsv_rows(Path(data_dir) / ASAP_FILE, "latin-1"), start=2):
        try:
            essays.append(AsapEssay(int(row[0]), int(row[1]), _strip_quotes(row[2]), int(row[6])))
        except (IndexError, ValueError) as exc:
            raise BenchmarkDataError(f"{ASAP_FILE} line {number} is malformed: {exc}") from exc
    if len(essays) != ASAP_ROWS:
        raise BenchmarkDataError(f"{ASAP_FILE} has {len(essays)} essays, expected {ASAP_ROWS}")
    return essays


def _read_ids(path: Path) -> frozenset[int]:
    if not path.is_file():
        raise BenchmarkDataError(f"fold file {path} not found", path=str(path))
    return frozenset(int(line) for line in path.read_text().split())


def read_folds(data_dir: Path) -> list[Fold]:
    """The five folds under ``data_dir/folds/fold_{0..4}``.

    Raises:
        BenchmarkDataError: A fold file is missing.
    """
    root = Path(data_dir) / "folds"
    return [
        Fold(*(_read_ids(root / f"fold_{i}" / f"{part}_ids.txt") for part in _FOLD_PARTS))
        for i in range(5)
    ]


def load_asap_plus_plus(data_dir: Path, prompt: int) -> dict[str, list[TraitEssay]]:
    """The train, dev and test essays of one ASAP++ prompt.

    Args:
        data_dir: The ``asap-plus-plus`` folder (or its ``aes-cross-val-…`` subfolder).
        prompt: 1 to 6.

    Raises:
        BenchmarkDataError: The prompt is unknown or a file is missing or malformed.
    """
    if prompt not in PLUS_PLUS_TRAITS:
        raise BenchmarkDataError(f"ASAP++ has prompts 1-6, not {prompt}")
    root = Path(data_dir)
    if (root / PLUS_PLUS_FOLDER).is_dir():
        root = root / PLUS_PLUS_FOLDER
    names, _ = PLUS_PLUS_TRAITS[prompt]
    splits: dict[str, list[TraitEssay]] = {}
    for split in PLUS_PLUS_SPLITS:
        path = root / str(prompt) / f"{split}.tsv"
        essays = []
        for number, row in enumerate(_tsv_rows(path, "utf-8"), start=2):
            try:
                traits = tuple(int(value) for value in row[4 : 4 + len(names)])
                if len(traits) != len(names):
                    raise ValueError(f"{len(traits)} trait scores, expected {len(names)}")
                essays.append(TraitEssay(int(row[0]), int(row[1]), _strip_quotes(row[2]), traits))
            except (IndexError, ValueError) as exc:
                raise BenchmarkDataError(f"{path} line {number} is malformed: {exc}") from exc
        splits[split] = essays
    return splits
