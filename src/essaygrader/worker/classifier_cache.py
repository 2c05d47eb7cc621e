"""Loaded classifiers kept in memory per worker process, keyed by blob sha256.

The first of two cache levels: this one keeps classifiers ready to score; below it, the
disk cache of :mod:`essaygrader.storage.cache` keeps their blobs, so that a new process
loads from local disk rather than from S3. Blobs are immutable and content-addressed,
so an entry never goes stale; the cache only bounds how much memory stays in use,
evicting the least recently used classifiers.

A classifier's size is estimated as the larger of its stored blob and a walk over the
loaded object (NumPy arrays by their buffers, containers and attributes by
``sys.getsizeof``): the blob is compressed and some objects hide their memory from the
walk, so each measure alone can fall short.
"""

from __future__ import annotations

import logging
import sys
import threading
import types
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from essaygrader.algorithms.base import CriterionClassifier

log = logging.getLogger(__name__)

# The walk stops after this many objects: an estimate must not cost more than a load.
_MAX_WALK_OBJECTS = 200_000
_ARRAY_HEADER_BYTES = 112
_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)


@dataclass
class _Entry:
    classifier: CriterionClassifier
    size: int


class ClassifierCache:
    """A least-recently-used cache of loaded classifiers, bounded in bytes.

    Args:
        max_bytes: Memory the cached classifiers may use; 0 disables caching.

    Attributes:
        hits: Lookups served from memory.
        misses: Lookups that loaded the classifier.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get_or_load(
        self,
        sha256: str,
        load: Callable[[], CriterionClassifier],
        stored_bytes: int = 0,
    ) -> CriterionClassifier:
        """The classifier stored under ``sha256``, calling ``load`` on a miss.

        Args:
            sha256: The blob's key.
            load: Reads and loads the classifier.
            stored_bytes: The blob's size, a lower bound of the classifier's.
        """
        with self._lock:
            entry = self._entries.get(sha256)
            if entry is not None:
                self._entries.move_to_end(sha256)
                self.hits += 1
                return entry.classifier
            self.misses += 1
        classifier = load()
        if self.max_bytes <= 0:
            return classifier
        size = max(stored_bytes, estimate_bytes(classifier))
        if size > self.max_bytes:
            log.warning(
                "classifier %s needs about %d MB, more than the whole memory cache "
                "(classifier_memory_cache_mb); it is loaded again for every essay",
                sha256,
                size // 2**20,
            )
            return classifier
        with self._lock:
            if sha256 not in self._entries:
                self._entries[sha256] = _Entry(classifier, size)
                self._bytes += size
            self._entries.move_to_end(sha256)
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
        return classifier

    @property
    def bytes_used(self) -> int:
        """Estimated memory of the cached classifiers."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, sha256: object) -> bool:
        return sha256 in self._entries


def estimate_bytes(root: object) -> int:
    """Approximate memory held by ``root`` and everything it refers to."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack and len(seen) < _MAX_WALK_OBJECTS:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SHARED):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.nbytes + _ARRAY_HEADER_BYTES
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif not isinstance(obj, str | bytes | bytearray | int | float | complex | bool):
            attributes = getattr(obj, "__dict__", None)
            if isinstance(attributes, dict):
                stack.append(attributes)
            for cls in type(obj).__mro__:
                slots = cls.__dict__.get("__slots__", ())
                for slot in (slots,) if isinstance(slots, str) else slots:
                    if hasattr(obj, slot):
                        stack.append(getattr(obj, slot))
    return total
