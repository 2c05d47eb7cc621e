"""A bounded folder on local disk in front of a remote blob store such as S3.

The worker processes of a machine share the folder, so a restarted worker, or a new pool
process, reads a classifier from disk rather than from S3 (the ancestor's workers fetched
from S3 on every restart and hammered it).

Blobs are immutable and content-addressed, so a cached copy never goes stale and needs
no invalidation. It is verified against its key on every read, like any blob; a damaged
copy is deleted and fetched again. After each addition, the least recently used blobs
(by modification time, which every hit refreshes) are deleted until the folder fits its
bound. Several processes may evict at once: a reader that loses a file to eviction
fetches it again. A cache folder that cannot be written costs only remote reads: that is
logged, never fatal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

from essaygrader.errors import InternalError
from essaygrader.storage.base import BlobStore, check_key
from essaygrader.storage.local import LocalBlobStore

log = logging.getLogger(__name__)

# Temporary files of writes that died half-way are removed once this old.
_STALE_TEMP_SECONDS = 3600


class DiskCachedBlobStore(BlobStore):
    """Reads through a local folder; writes go to the remote store, then the folder.

    Args:
        remote: The store of record.
        folder: The cache folder; created on first write.
        max_bytes: Bound of the folder's content.

    Attributes:
        hits: Reads served from the folder by this process.
        misses: Reads that went to the remote store.
    """

    def __init__(self, remote: BlobStore, folder: str | os.PathLike[str], max_bytes: int) -> None:
        self.remote = remote
        self.local = LocalBlobStore(folder)
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._warned = False

    def get(self, key: str) -> bytes:
        data = self._read_cached(key)
        if data is not None:
            self.hits += 1
            return data
        self.misses += 1
        data = self.remote.get(key)
        self._keep(key, data)
        return data

    def put(self, data: bytes) -> str:
        key = self.remote.put(data)
        # Written through: the worker that trained a set often grades with it next.
        self._keep(key, data)
        return key

    def exists(self, key: str) -> bool:
        # The remote store is the record; a cached copy does not prove it is still there.
        return self.remote.exists(key)

    def checksum(self, key: str) -> str:
        return self.remote.checksum(key)

    def check(self) -> None:
        self.remote.check()
        try:
            self.local.check()
        except InternalError as exc:
            log.warning("classifier disk cache unusable, every read goes to the store: %s", exc)

    def describe(self) -> str:
        megabytes = self.max_bytes / 2**20
        return f"{self.remote.describe()}, cached in {self.local.root} (up to {megabytes:.0f} MB)"

    def cached_bytes(self) -> int:
        """Bytes the folder holds now."""
        return sum(size for _, size, _ in self._entries())

    def _read_cached(self, key: str) -> bytes | None:
        check_key(key)
        try:
            data = self.local.get(key)
        except InternalError as exc:
            if exc.code == "blob_not_found":
                return None
            if exc.code == "blob_integrity_error":
                log.warning("dropping a damaged cached copy: %s", exc)
                self.local.path(key).unlink(missing_ok=True)
                return None
            log.warning("cannot read the classifier disk cache: %s", exc)
            return None
        # Mark it recently used; if another process evicted it meanwhile, the bytes
        # read are still good.
        with contextlib.suppress(OSError):
            os.utime(self.local.path(key))
        return data

    def _keep(self, key: str, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        try:
            self.local.put(data)
        except InternalError as exc:
            if not self._warned:
                log.warning("cannot write the classifier disk cache: %s", exc)
                self._warned = True
            return
        self._evict(keep=key)

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries = []
        now = time.time()
        for path in self.local.root.glob("??/??/*"):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if path.name.startswith(".tmp-"):
                if now - stat.st_mtime > _STALE_TEMP_SECONDS:
                    path.unlink(missing_ok=True)
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        return entries

    def _evict(self, keep: str) -> None:
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if path.name == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            log.debug("classifier disk cache: evicted %s", path.name)
