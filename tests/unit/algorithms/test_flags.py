"""Advisory flags: each fires on its bad case and stays quiet on a normal essay."""

from __future__ import annotations

import json
import random
from collections import Counter

import numpy as np
import pytest

from essaygrader.algorithms.flags import ItemProfile, advisory_flags, build_profile, text_signature
from essaygrader.algorithms.flags.profile import key_evidence, key_slopes, topic_stems
from essaygrader.algorithms.flags.text import (
    signature_bytes,
    signature_from_bytes,
    signature_similarity,
    words_of,
)

TOPIC = str.split(
    "garden plants soil water seeds sunlight roots flowers vegetables compost harvest "
    "tomatoes leaves watering spring gardener weeds growing grow beans"
)
OTHER = str.split(
    "rocket planets orbit astronauts telescope galaxy stars launch gravity moon spacecraft "
    "comets mission asteroid nebula meteor cosmic shuttle satellites universe"
)
COMMON = str.split(
    "the a and we i it was to of in my is that they this but because then so very when "
    "our with for had all be can would people think time good day really"
)
PROMPT = (
    "Write an essay about a garden you know. Describe how the plants grow from seeds, what "
    "the soil and water and sunlight do for them, and what a gardener learns from a harvest."
)


def _essay(topic: list[str], rng: random.Random, words: int = 150) -> str:
    chosen = [
        rng.choice(topic) if rng.random() < 0.35 else rng.choice(COMMON) for _ in range(words)
    ]
    sentences = [" ".join(chosen[i : i + 12]) for i in range(0, len(chosen), 12)]
    return ". ".join(s.capitalize() for s in sentences) + "."


@pytest.fixture(scope="module")
def item() -> tuple[ItemProfile, list[str], random.Random]:
    rng = random.Random(7)
    graded = [_essay(TOPIC, rng, rng.randrange(100, 220)) for _ in range(120)]
    return build_profile(graded, PROMPT), graded, rng


def _codes(text: str, profile: ItemProfile, others: list[str] | None = None) -> set[str]:
    others = others or []
    signatures = (
        np.stack([text_signature(t) for t in others]) if others else np.zeros((0, 128), np.uint32)
    )
    uuids = [f"sub-{i}" for i in range(len(others))]
    flags = advisory_flags(text, profile, text_signature(text), signatures, uuids)
    return {f.code for f in flags}


def test_a_normal_essay_gets_no_flag(item: tuple[ItemProfile, list[str], random.Random]) -> None:
    profile, graded, rng = item
    fresh = [_essay(TOPIC, rng, 160) for _ in range(20)]
    assert all(_codes(text, profile, graded) == set() for text in fresh)


def test_too_short(item: tuple[ItemProfile, list[str], random.Random]) -> None:
    profile, _, _ = item
    assert _codes("Plants grow in the garden.", profile) == {"too_short"}


@pytest.mark.parametrize(
    "text",
    [
        "asdf jkl qwer uiop zxcv hjkl asdfgh qwerty lkjh poiu " * 6,
        "the garden is nice " * 60,
        "#### !!!! 1234 ??? $$$ %%% &&& *** ((( ))) " * 10,
        "",
    ],
    ids=["keyboard mash", "one phrase repeated", "symbols", "empty"],
)
def test_not_text(item: tuple[ItemProfile, list[str], random.Random], text: str) -> None:
    profile, _, _ = item
    assert "not_text" in _codes(text, profile)


def test_duplicate_names_the_copied_submission(
    item: tuple[ItemProfile, list[str], random.Random],
) -> None:
    profile, graded, rng = item
    original = graded[5]
    words = original.split()
    for i in rng.sample(range(len(words)), len(words) // 25):
        words[i] = "changed"
    copy = " ".join(words).lower()
    signatures = np.stack([text_signature(t) for t in graded])
    flags = advisory_flags(
        copy, profile, text_signature(copy), signatures, [f"s{i}" for i in range(120)]
    )
    duplicate = [f for f in flags if f.code == "duplicate"]
    assert duplicate
    assert duplicate[0].submission_uuid == "s5"
    assert "s5" in duplicate[0].message


def test_copied_prompt(item: tuple[ItemProfile, list[str], random.Random]) -> None:
    profile, _, _ = item
    assert "copied_prompt" in _codes("My essay. " + PROMPT, profile)


def test_off_topic(item: tuple[ItemProfile, list[str], random.Random]) -> None:
    profile, _, rng = item
    assert all("off_topic" in _codes(_essay(OTHER, rng, 160), profile) for _ in range(10))


def test_a_small_item_flags_few_of_its_own_short_essays() -> None:
    rng = random.Random(11)
    graded = [_essay(TOPIC, rng, rng.randrange(20, 30)) for _ in range(60)]
    profile = build_profile(graded, PROMPT)
    # Short essays of a small item vary a lot in the key terms they happen to use.
    on_topic = [_essay(TOPIC, rng, rng.randrange(20, 30)) for _ in range(300)]
    assert sum("off_topic" in _codes(text, profile) for text in on_topic) <= 3
    assert all("off_topic" in _codes(_essay(OTHER, rng, 25), profile) for _ in range(20))


def test_the_key_stems_weigh_for_essays_that_use_them_and_against_those_that_do_not() -> None:
    key = [("laugh", 0.95), ("funny", 0.5)]
    on = topic_stems(words_of("We laughed so hard at the funny story that my sides hurt"))
    off = topic_stems(words_of("Computers help students find information for their homework"))
    assert key_evidence(on, key) > 3.0
    assert key_evidence(off, key) < -2.0


def test_a_long_essay_without_the_key_stems_counts_further_off_than_a_typical_one() -> None:
    key = [("laugh", 0.6)]
    typical = 100.0
    lacking = ["compu"] * 100
    long_lacking = ["compu"] * 400
    using, long_using = [*lacking, "laugh"], [*long_lacking, "laugh"]
    flat = key_evidence(long_lacking, key)
    sloped = key_evidence(long_lacking, key, typical=typical, slopes=[1.0])
    assert sloped < flat - 1.0
    # An essay of the typical length or shorter keeps the item's share.
    assert key_evidence(lacking, key, typical=typical, slopes=[1.0]) == key_evidence(lacking, key)
    short = lacking[:50]
    assert key_evidence(short, key, typical=typical, slopes=[1.0]) == key_evidence(short, key)
    # Where long essays on the item use the stem more, a long essay using it looks more
    # like one of them.
    assert key_evidence(long_using, key, typical=typical, slopes=[1.0]) > key_evidence(
        long_using, key
    )
    assert key_evidence(using, key, typical=typical, slopes=[1.0]) > 0


def test_a_key_stems_slope_is_how_much_more_the_longer_essays_use_it() -> None:
    sizes = [50] * 30 + [200] * 30
    essays = [Counter({"laugh": 1}) for _ in range(60)]  # every essay uses it
    for i in range(30):  # a third of the short essays and all the long ones use "funny"
        if i % 3 == 0:
            essays[i]["funny"] = 1
        essays[30 + i]["funny"] = 1
    for i in range(0, 60, 2):  # half of each use "story"
        essays[i]["story"] = 1
    laugh, funny, story = key_slopes(["laugh", "funny", "story"], essays, sizes)
    assert laugh == pytest.approx(0.0)
    assert story == pytest.approx(0.0)
    assert funny > 1.0
    # An item of too few essays, or of one length, has no slopes.
    assert key_slopes(["funny"], essays[:10], sizes[:10]) == [0.0]
    assert key_slopes(["funny"], essays, [80] * 60) == [0.0]


def test_a_profile_of_the_second_version_loads_and_judges_topic_as_before(
    item: tuple[ItemProfile, list[str], random.Random],
) -> None:
    profile, _, rng = item
    assert any(v > 0 for v in profile.key_slopes)
    old = {k: v for k, v in profile.to_json().items() if k not in ("key_slopes", "stems_median")}
    loaded = ItemProfile.from_json({**old, "version": 2})
    assert loaded.key_slopes == ()
    assert loaded.stems_median == 0.0
    assert loaded.judges_topic
    assert "off_topic" in _codes(_essay(OTHER, rng, 160), loaded)
    assert "off_topic" not in _codes(_essay(TOPIC, rng, 160), loaded)


def test_another_form_of_the_items_words_is_on_topic() -> None:
    assert topic_stems(["laughter", "laughed", "laughing"]) == ["laugh"] * 3
    rng = random.Random(5)
    graded = [_essay(TOPIC, rng) for _ in range(120)]
    profile = build_profile(graded, PROMPT)
    # The item's words with an -s or -ing added: the same stems, so no off_topic.
    inflected = [w.rstrip(".") + "ing" if len(w) >= 5 else w for w in _essay(TOPIC, rng).split()]
    assert "off_topic" not in _codes(" ".join(inflected), profile)


def test_a_profile_of_the_first_version_loads_without_the_off_topic_check(
    item: tuple[ItemProfile, list[str], random.Random],
) -> None:
    profile, _, rng = item
    old = {
        key: value
        for key, value in profile.to_json().items()
        if key not in ("key_terms", "key_shares", "topic_scale", "evidence_scale")
    }
    old.update(version=1, topic_terms=["garden"], topic_weights=[1.0], key_terms_below=0.1)
    loaded = ItemProfile.from_json(old)
    assert not loaded.judges_topic
    assert loaded.too_short_below == profile.too_short_below
    assert "off_topic" not in _codes(_essay(OTHER, rng, 160), loaded)
    assert "off_topic" in _codes(_essay(OTHER, rng, 160), profile)


def test_profile_round_trips_through_json_without_essay_text(
    item: tuple[ItemProfile, list[str], random.Random],
) -> None:
    profile, graded, _ = item
    stored = json.dumps(profile.to_json())
    assert ItemProfile.from_json(json.loads(stored)) == profile
    assert graded[0][:40] not in stored
    with pytest.raises(ValueError, match="version"):
        ItemProfile.from_json({"version": 99})


def test_without_a_profile_only_text_checks_run() -> None:
    codes = {
        f.code
        for f in advisory_flags(
            "qxqxq vbvbvb", None, text_signature("qxqxq vbvbvb"), np.zeros((0, 128), np.uint32), []
        )
    }
    assert codes == {"not_text"}


def test_signatures_survive_storage_and_estimate_similarity() -> None:
    rng = random.Random(1)
    a = _essay(TOPIC, rng, 300)
    b = _essay(TOPIC, rng, 300)
    sa, sb = text_signature(a), text_signature(b)
    assert np.array_equal(signature_from_bytes(signature_bytes(sa)), sa)
    assert signature_similarity(sa, np.stack([sa, sb])).tolist()[0] == 1.0
    assert signature_similarity(sa, np.stack([sb]))[0] < 0.2
    with pytest.raises(ValueError, match="bytes"):
        signature_from_bytes(b"short")


def test_the_signature_index_finds_a_near_copy_among_few_candidates():
    from essaygrader.algorithms.flags.text import SignatureIndex, minhash

    rng = np.random.default_rng(3)
    index = SignatureIndex()
    vocabulary = [f"w{n}" for n in range(5000)]
    texts = [set(rng.choice(vocabulary, size=300)) for _ in range(2000)]
    for row, shingles in enumerate(texts):
        index.add(row, f"u{row}", f"s{row}", minhash(shingles))
    index.add(9999, "empty", "s-empty", minhash(set()))  # no phrases: never indexed
    assert len(index) == 2000

    original = sorted(texts[1234])
    near_copy = set(original[: int(len(original) * 0.7)]) | {f"x{n}" for n in range(60)}
    candidates = index.candidates(minhash(near_copy))
    assert 1234 in candidates
    assert len(candidates) < 200
    assert index.signatures([1234]).shape == (1, 128)
    # Rows sorted into the index and rows still in its unsorted tail read alike.
    assert (
        index.signatures([0, 1999]) == np.stack([minhash(texts[0]), minhash(texts[1999])])
    ).all()
    assert index.candidates(minhash(set())) == []
