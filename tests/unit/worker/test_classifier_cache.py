"""The in-process classifier cache: bounded by memory, least recently used goes first."""

from __future__ import annotations

import logging

import numpy as np

from essaygrader.algorithms.fake import FakeClassifier
from essaygrader.worker.classifier_cache import ClassifierCache, estimate_bytes

MB = 2**20


class ArrayClassifier(FakeClassifier):
    """A classifier holding ``megabytes`` of weights, like a real model."""

    def __init__(self, megabytes: float = 1.0, **params):
        super().__init__(**params)
        self.weights_ = np.zeros(int(megabytes * MB) // 8)


def loader(calls: list[str], name: str, megabytes: float = 1.0):
    def load():
        calls.append(name)
        return ArrayClassifier(megabytes)

    return load


def key(n: int) -> str:
    return f"{n:064x}"


def test_estimate_counts_array_buffers_and_attributes():
    small = estimate_bytes(ArrayClassifier(0.0))
    big = estimate_bytes(ArrayClassifier(2.0))
    assert abs((big - small) - 2 * MB) < 10_000
    nested = {"a": [np.ones(1000), np.ones(1000)], "b": ("x" * 5000,)}
    assert estimate_bytes(nested) >= 2 * 8000 + 5000


def test_memory_bound_evicts_the_least_recently_used():
    cache = ClassifierCache(int(2.5 * MB))
    calls: list[str] = []
    first = cache.get_or_load(key(1), loader(calls, "one"))
    cache.get_or_load(key(2), loader(calls, "two"))
    assert cache.get_or_load(key(1), loader(calls, "one")) is first  # one is now the newest
    cache.get_or_load(key(3), loader(calls, "three"))
    assert key(2) not in cache
    assert key(1) in cache
    assert key(3) in cache
    assert cache.bytes_used <= 2.5 * MB
    assert (cache.hits, cache.misses) == (1, 3)
    cache.get_or_load(key(2), loader(calls, "two"))
    assert calls == ["one", "two", "three", "two"]


def test_the_stored_size_is_a_lower_bound():
    cache = ClassifierCache(3 * MB)
    calls: list[str] = []
    cache.get_or_load(key(1), loader(calls, "tiny", 0.0), stored_bytes=2 * MB)
    cache.get_or_load(key(2), loader(calls, "tiny", 0.0), stored_bytes=2 * MB)
    assert len(cache) == 1
    assert cache.bytes_used >= 2 * MB


def test_a_classifier_larger_than_the_bound_is_used_but_not_kept(caplog):
    cache = ClassifierCache(1 * MB)
    calls: list[str] = []
    with caplog.at_level(logging.WARNING):
        classifier = cache.get_or_load(key(1), loader(calls, "big", 2.0))
    assert isinstance(classifier, ArrayClassifier)
    assert len(cache) == 0
    assert "classifier_memory_cache_mb" in caplog.text


def test_zero_turns_caching_off():
    cache = ClassifierCache(0)
    calls: list[str] = []
    cache.get_or_load(key(1), loader(calls, "one", 0.0))
    cache.get_or_load(key(1), loader(calls, "one", 0.0))
    assert calls == ["one", "one"]
    assert len(cache) == 0
