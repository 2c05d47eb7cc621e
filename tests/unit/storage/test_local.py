from __future__ import annotations

import hashlib

import pytest

from essaygrader.errors import InternalError
from essaygrader.storage import LocalBlobStore, open_blob_store


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = LocalBlobStore(tmp_path)
    key = store.put(b"model bytes")
    assert key == hashlib.sha256(b"model bytes").hexdigest()
    assert store.put(b"model bytes") == key
    assert store.get(key) == b"model bytes"
    assert store.exists(key)
    assert store.checksum(key) == key
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_changed_blob_is_refused_naming_it(tmp_path):
    store = LocalBlobStore(tmp_path)
    key = store.put(b"original")
    store.path(key).write_bytes(b"tampered")
    with pytest.raises(InternalError) as caught:
        store.get(key)
    assert key in str(caught.value)
    assert "altered" in str(caught.value)
    assert store.checksum(key) != key


def test_missing_blobs_and_malformed_keys(tmp_path):
    store = LocalBlobStore(tmp_path)
    missing = "0" * 64
    with pytest.raises(InternalError, match=missing):
        store.get(missing)
    assert not store.exists(missing)
    for bad in ("../../etc/passwd", "A" * 64, "abc"):
        with pytest.raises(InternalError, match="invalid blob key"):
            store.get(bad)


def test_factory(tmp_path):
    assert isinstance(open_blob_store((tmp_path / "x").as_uri()), LocalBlobStore)
    with pytest.raises(InternalError, match="unsupported storage URL scheme 'ftp'"):
        open_blob_store("ftp://host/path")
