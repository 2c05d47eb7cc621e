"""``essaygrader bench flags``: false and true flag rates on real and generated essays.

For each ASAP prompt the item is the prompt's training essays (train and dev ids of a
fold, fold 0 unless told) with a short prompt written for this benchmark (ASAP's own
prompt texts and reading passages are not in the data set, so ``copied_prompt`` is
measured against these). The fold's test essays are the real submissions: every flag they
get is a false flag. The bad cases are generated at run time from those essays, one kind
per flag, and count as caught when they get their flag. Nothing is written to disk. The
thresholds were chosen on folds 1-4; fold 0 reports.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from essaygrader.algorithms.flags.checks import FLAG_CODES, Flag, advisory_flags
from essaygrader.algorithms.flags.profile import build_profile
from essaygrader.algorithms.flags.text import text_signature, words_of
from essaygrader.bench.datasets import ASAP_SCORE_RANGES, AsapEssay, load_asap, read_folds

# Written for this benchmark: what each ASAP prompt asks, in our own words.
BENCH_PROMPTS: dict[int, str] = {
    1: "More and more people use computers. Some say computers help people learn, talk with "
    "friends far away and find information; others worry that people spend too much time at "
    "their computers and too little exercising, outdoors or with family. Write a letter to "
    "your local newspaper in which you state your opinion on the effects computers have on "
    "people, and persuade the readers to agree with you.",
    2: "Should libraries remove books, music, movies and magazines that some people find "
    "offensive from their shelves? Write a persuasive essay to a newspaper reflecting your "
    "views on censorship in libraries, supporting your position with convincing arguments "
    "from your own experience, observations and reading.",
    3: "Write a response that explains how the features of the setting affect the cyclist in "
    "the story about a long bicycle ride through hot, empty country on a road with no water. "
    "In your response, include examples from the story that support your conclusion.",
    4: "Read the last paragraph of the story about a girl who failed her driving test and a "
    "winter hibiscus plant. Write a response that explains why the author concludes the story "
    "with her promise to take the test again when the geese return and the hibiscus buds in "
    "the spring. Support your response with details and examples from the story.",
    5: "Describe the mood created by the author in the memoir about growing up in a family "
    "home of immigrants, its kitchen, music and the neighbours who came by. Support your "
    "answer with relevant and specific information from the memoir.",
    6: "Based on the excerpt about the building of a tall skyscraper with a mast for docking "
    "airships, describe the obstacles the builders faced in attempting to allow dirigibles to "
    "dock there. Support your answer with relevant and specific information from the excerpt.",
    7: "Write about patience. Being patient means that you are understanding and tolerant: a "
    "patient person experiences difficulties without complaining. Write a story about a time "
    "when you were patient, or about a time when someone you know was patient, or write a "
    "story in your own way about patience.",
    8: "We all understand the benefits of laughter. Many people believe that laughter is an "
    "important part of any relationship. Tell a true story in which laughter was one element "
    "or part.",
}
CASES_PER_FLAG = 100
EDIT_RATE = 0.05
SHORT_SHARE = 0.05
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_SYMBOLS = string.punctuation + string.digits


@dataclass(frozen=True)
class FalseFlag:
    """A real essay that got a flag: which, and what its raters scored it."""

    prompt: int
    fold: int
    essay_id: int
    score: int
    words: int
    code: str
    message: str


@dataclass
class PromptRates:
    """One prompt's counts: real essays flagged, and generated cases caught, per flag."""

    prompt: int
    real: int = 0
    falsely: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAG_CODES, 0))
    cases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAG_CODES, 0))
    caught: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FLAG_CODES, 0))
    folds: list[int] = field(default_factory=lambda: [0])
    false_flags: list[FalseFlag] = field(default_factory=list)


def keyboard_mash(rng: random.Random) -> str:
    """Runs of letters from one keyboard row at a time, with spaces between."""
    runs = []
    for _ in range(rng.randint(20, 150)):
        row = rng.choice(_KEYBOARD)
        start = rng.randrange(len(row))
        run = "".join(
            row[(start + i * rng.choice((1, 1, 2))) % len(row)] for i in range(rng.randint(2, 9))
        )
        runs.append(run)
    return " ".join(runs)


def repeated_phrase(text: str, rng: random.Random) -> str:
    """One phrase of a real essay, said over and over."""
    words = text.split()
    size = rng.randint(2, 8)
    start = rng.randrange(max(1, len(words) - size))
    return " ".join([" ".join(words[start : start + size])] * rng.randint(15, 60))


def symbols(rng: random.Random) -> str:
    """Punctuation and digits, in groups."""
    return " ".join(
        "".join(rng.choice(_SYMBOLS) for _ in range(rng.randint(1, 8)))
        for _ in range(rng.randint(10, 120))
    )


def edited_copy(text: str, rng: random.Random, rate: float = EDIT_RATE) -> str:
    """A copy with small edits: about ``rate`` of the words replaced, dropped or doubled,
    and case and line breaks changed."""
    words = text.split()
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            out.append(rng.choice(words))
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out.extend((word, word))
        else:
            out.append(word)
    joined = " ".join(out)
    return joined.lower() if rng.random() < 0.5 else joined.replace(". ", ".\n\n")


def pasted_prompt(prompt: str, rng: random.Random) -> str:
    """The prompt pasted back: as it is, with a line of the writer's own, or lightly edited."""
    kind = rng.randrange(3)
    if kind == 0:
        return prompt
    if kind == 1:
        return rng.choice(("I agree. ", "My answer: ", "This is my essay. ")) + prompt
    return edited_copy(prompt, rng)


def measure_prompt(
    essays: list[AsapEssay],
    prompt: int,
    train_ids: frozenset[int],
    rng: random.Random,
    fold: int = 0,
) -> PromptRates:
    """Build the item from the training essays, then flag real and generated essays."""
    own = [e for e in essays if e.prompt == prompt]
    train = [e for e in own if e.essay_id in train_ids]
    test = [e for e in own if e.essay_id not in train_ids]
    prompt_text = BENCH_PROMPTS[prompt]
    profile = build_profile([e.text for e in train], prompt_text)
    signatures = np.stack([text_signature(e.text) for e in own])
    uuids = [str(e.essay_id) for e in own]
    position = {e.essay_id: i for i, e in enumerate(own)}
    rates = PromptRates(prompt)

    def flags_of(text: str, skip: int | None = None) -> list[Flag]:
        keep = [i for i in range(len(own)) if i != skip]
        return advisory_flags(
            text, profile, text_signature(text), signatures[keep], [uuids[i] for i in keep]
        )

    def flag_codes(text: str) -> dict[str, str | None]:
        return {f.code: f.submission_uuid for f in flags_of(text)}

    for essay in test:
        rates.real += 1
        for flag in flags_of(essay.text, skip=position[essay.essay_id]):
            rates.falsely[flag.code] += 1
            rates.false_flags.append(
                FalseFlag(
                    prompt,
                    fold,
                    essay.essay_id,
                    essay.score,
                    len(words_of(essay.text)),
                    flag.code,
                    flag.message,
                )
            )

    others = [e for e in essays if e.prompt != prompt and len(words_of(e.text)) >= 20]
    long_enough = [e for e in test if len(words_of(e.text)) >= 50]
    generators: dict[str, Callable[[], tuple[str, str | None]]] = {
        "too_short": lambda: (_cut(rng.choice(test).text, profile.words_median), None),
        "not_text": lambda: (
            rng.choice(
                (keyboard_mash(rng), repeated_phrase(rng.choice(test).text, rng), symbols(rng))
            ),
            None,
        ),
        "duplicate": lambda: _duplicate_case(rng.choice(long_enough), rng),
        "copied_prompt": lambda: (pasted_prompt(prompt_text, rng), None),
        "off_topic": lambda: (rng.choice(others).text, None),
    }
    for code, generate in generators.items():
        for _ in range(CASES_PER_FLAG):
            text, original = generate()
            found = flag_codes(text)
            rates.cases[code] += 1
            if code in found and (original is None or found[code] == original):
                rates.caught[code] += 1
    return rates


def _cut(text: str, median_words: float) -> str:
    words = text.split()
    return " ".join(words[: max(1, round(SHORT_SHARE * median_words))])


def _duplicate_case(essay: AsapEssay, rng: random.Random) -> tuple[str, str | None]:
    return edited_copy(essay.text, rng), str(essay.essay_id)


def run_flags(
    data_dir: Path,
    prompts: list[int],
    seed: int,
    progress: Callable[[str], None],
    *,
    folds: Sequence[int] = (0,),
) -> list[PromptRates]:
    """Measure every prompt, its counts summed over the folds; see the module's docstring.

    Raises:
        BenchmarkDataError: The data is missing or malformed.
    """
    essays = load_asap(data_dir)
    split = read_folds(data_dir)
    results = []
    for prompt in prompts:
        total = PromptRates(prompt)
        for k in folds:
            progress(f"prompt {prompt} fold {k}")
            rng = random.Random(seed * 1000 + prompt + 100 * k)
            rates = measure_prompt(essays, prompt, split[k].train | split[k].dev, rng, k)
            total.real += rates.real
            for code in FLAG_CODES:
                total.falsely[code] += rates.falsely[code]
                total.cases[code] += rates.cases[code]
                total.caught[code] += rates.caught[code]
            total.false_flags += rates.false_flags
        total.folds = list(folds)
        results.append(total)
    return results


def format_flags(results: list[PromptRates]) -> str:
    """The table the command prints: per flag, falsely flagged real essays and caught
    generated cases, per prompt and overall."""
    header = "flag           " + "".join(f"  P{r.prompt:<8}" for r in results) + "  all"
    lines = [
        f"Advisory flags on ASAP (fold {','.join(str(k) for k in results[0].folds)}: "
        "item = train+dev essays, real = test essays)",
        "false flags on real essays (% of real essays)",
        header,
    ]
    for code in FLAG_CODES:
        cells = [100 * r.falsely[code] / max(r.real, 1) for r in results]
        total = 100 * sum(r.falsely[code] for r in results) / max(sum(r.real for r in results), 1)
        lines.append(f"{code:<15}" + "".join(f"  {c:>6.2f}%  " for c in cells) + f"  {total:.2f}%")
    lines += ["caught generated bad cases (% of cases of that kind)", header]
    for code in FLAG_CODES:
        cells = [100 * r.caught[code] / max(r.cases[code], 1) for r in results]
        caught = sum(r.caught[code] for r in results)
        total = 100 * caught / max(sum(r.cases[code] for r in results), 1)
        lines.append(f"{code:<15}" + "".join(f"  {c:>6.1f}%  " for c in cells) + f"  {total:.1f}%")
    lines.append(
        f"real essays: {sum(r.real for r in results)}; cases per flag and prompt: "
        f"{CASES_PER_FLAG * len(results[0].folds)}"
    )
    return "\n".join(lines)


def format_false_flags(results: list[PromptRates], code: str) -> str:
    """Every real essay that got flag ``code``, with the score its raters gave it (an
    essay scored at the bottom of the range may be one raters also found off the mark)."""
    rows = [f for r in results for f in r.false_flags if f.code == code]
    lines = [
        f"real essays flagged {code}: {len(rows)}",
        "prompt fold  essay  score  words  message",
    ]
    for f in rows:
        low, high = ASAP_SCORE_RANGES[f.prompt]
        lines.append(
            f"P{f.prompt:<5} {f.fold:>4}  {f.essay_id:>5}  {f.score:>2}/{low}-{high}  "
            f"{f.words:>5}  {f.message}"
        )
    return "\n".join(lines)
