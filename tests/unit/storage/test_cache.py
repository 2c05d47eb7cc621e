"""The disk cache in front of a remote store: reads go to disk first, bounded, LRU."""

from __future__ import annotations

import logging
import time

import pytest

from essaygrader.storage import DiskCachedBlobStore, LocalBlobStore
from essaygrader.storage.s3 import S3BlobStore


class CountingStore(LocalBlobStore):
    """A stand-in for S3 that counts reads."""

    def __init__(self, root):
        super().__init__(root)
        self.reads = 0

    def get(self, key):
        self.reads += 1
        return super().get(key)


def blob(n: int, size: int = 1000) -> bytes:
    return bytes([n % 256]) * size


def test_a_second_reader_with_the_same_folder_reads_from_disk(tmp_path):
    remote = CountingStore(tmp_path / "remote")
    key = remote.put(blob(1))
    first = DiskCachedBlobStore(remote, tmp_path / "cache", 10_000)
    assert first.get(key) == blob(1)
    assert first.get(key) == blob(1)
    assert (remote.reads, first.hits, first.misses) == (1, 1, 1)
    restarted = DiskCachedBlobStore(remote, tmp_path / "cache", 10_000)
    assert restarted.get(key) == blob(1)
    assert remote.reads == 1


def test_writes_go_to_the_remote_store_and_through_to_disk(tmp_path):
    remote = CountingStore(tmp_path / "remote")
    cache = DiskCachedBlobStore(remote, tmp_path / "cache", 10_000)
    key = cache.put(blob(2))
    assert remote.exists(key)
    assert cache.get(key) == blob(2)
    assert remote.reads == 0


def test_the_folder_stays_within_its_bound_evicting_the_least_recently_used(tmp_path):
    remote = CountingStore(tmp_path / "remote")
    keys = [remote.put(blob(n)) for n in range(5)]
    cache = DiskCachedBlobStore(remote, tmp_path / "cache", 3_000)
    for key in keys[:3]:
        cache.get(key)
        time.sleep(0.02)  # distinct modification times on coarse file system clocks
    cache.get(keys[0])  # the oldest, used again: now the most recent
    time.sleep(0.02)
    cache.get(keys[3])
    assert cache.cached_bytes() <= 3_000
    cached = {p.name for p in (tmp_path / "cache").glob("??/??/*")}
    assert cached == {keys[0], keys[2], keys[3]}
    reads = remote.reads
    cache.get(keys[0])
    assert remote.reads == reads


def test_a_damaged_cached_copy_is_fetched_again(tmp_path, caplog):
    remote = CountingStore(tmp_path / "remote")
    key = remote.put(blob(3))
    cache = DiskCachedBlobStore(remote, tmp_path / "cache", 10_000)
    cache.get(key)
    cache.local.path(key).write_bytes(b"bit rot")
    with caplog.at_level(logging.WARNING):
        assert cache.get(key) == blob(3)
    assert "damaged cached copy" in caplog.text
    assert remote.reads == 2
    assert cache.local.path(key).read_bytes() == blob(3)


def test_an_unusable_folder_only_costs_remote_reads(tmp_path, caplog):
    remote = CountingStore(tmp_path / "remote")
    key = remote.put(blob(4))
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way")
    cache = DiskCachedBlobStore(remote, not_a_folder, 10_000)
    with caplog.at_level(logging.WARNING):
        assert cache.get(key) == blob(4)
        assert cache.get(key) == blob(4)
    assert remote.reads == 2
    assert caplog.text.count("cannot write the classifier disk cache") == 1


def test_a_blob_larger_than_the_bound_is_not_cached(tmp_path):
    remote = CountingStore(tmp_path / "remote")
    key = remote.put(blob(5, size=5_000))
    cache = DiskCachedBlobStore(remote, tmp_path / "cache", 1_000)
    assert cache.get(key) == blob(5, size=5_000)
    assert cache.cached_bytes() == 0


@pytest.mark.usefixtures("s3_bucket")
def test_over_s3_a_restarted_reader_sends_no_request_for_cached_blobs(s3_bucket, tmp_path):
    def s3_store():
        remote = S3BlobStore(
            s3_bucket.name, s3_bucket.prefix, endpoint_url=s3_bucket.server.endpoint
        )
        return DiskCachedBlobStore(remote, tmp_path / "cache", 10_000)

    key = s3_store().put(blob(6))
    mark = s3_bucket.server.mark()
    assert s3_store().get(key) == blob(6)
    assert s3_bucket.object_reads(mark) == []
    (tmp_path / "cache").rename(tmp_path / "emptied")
    assert s3_store().get(key) == blob(6)
    assert len(s3_bucket.object_reads(mark)) == 1
