"""The S3 blob store against moto's S3 server on loopback (real HTTP, real boto3)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from click.testing import CliRunner

from essaygrader.cli.main import cli
from essaygrader.config import Settings
from essaygrader.errors import InternalError
from essaygrader.storage import DiskCachedBlobStore, open_blob_store
from essaygrader.storage.s3 import S3BlobStore
from tests.moto_s3 import SECRET_KEY


def store_for(bucket, prefix=None, **options) -> S3BlobStore:
    return S3BlobStore(
        bucket.name,
        bucket.prefix if prefix is None else prefix,
        endpoint_url=bucket.server.endpoint,
        region="us-east-1",
        **options,
    )


def test_blobs_live_under_the_environment_prefix_with_their_checksum(s3_bucket):
    store = store_for(s3_bucket)
    store.check()
    key = store.put(b"model bytes")
    assert key == hashlib.sha256(b"model bytes").hexdigest()
    assert store.put(b"model bytes") == key
    assert store.get(key) == b"model bytes"
    assert store.exists(key)
    assert store.checksum(key) == key
    listed = s3_bucket.client().list_objects_v2(Bucket=s3_bucket.name)["Contents"]
    assert [o["Key"] for o in listed] == [f"test-env/{key[:2]}/{key[2:4]}/{key}"]
    head = s3_bucket.client().head_object(
        Bucket=s3_bucket.name, Key=listed[0]["Key"], ChecksumMode="ENABLED"
    )
    assert base64.b64decode(head["ChecksumSHA256"]).hex() == key


def test_two_environments_share_a_bucket_without_seeing_each_other(s3_bucket):
    staging, production = store_for(s3_bucket, "staging"), store_for(s3_bucket, "production")
    key = staging.put(b"staging model")
    assert staging.exists(key)
    assert not production.exists(key)
    with pytest.raises(InternalError, match=key):
        production.get(key)


def test_a_blob_altered_in_the_bucket_is_refused(s3_bucket):
    store = store_for(s3_bucket)
    key = store.put(b"original")
    client = s3_bucket.client()
    # Replaced by another tool, without a checksum: the bytes themselves give it away.
    client.put_object(Bucket=s3_bucket.name, Key=store.object_key(key), Body=b"tampered")
    with pytest.raises(InternalError, match="altered") as caught:
        store.get(key)
    assert caught.value.details["key"] == key
    assert store.checksum(key) == hashlib.sha256(b"tampered").hexdigest()
    # Replaced with an honest checksum of other bytes: S3's checksum gives it away.
    client.put_object(
        Bucket=s3_bucket.name,
        Key=store.object_key(key),
        Body=b"tampered",
        ChecksumAlgorithm="SHA256",
    )
    with pytest.raises(InternalError, match="S3 checksum of other bytes"):
        store.get(key)
    assert store.checksum(key) != key


def test_missing_blobs_and_malformed_keys(s3_bucket):
    store = store_for(s3_bucket)
    missing = "0" * 64
    with pytest.raises(InternalError, match=missing):
        store.get(missing)
    assert not store.exists(missing)
    with pytest.raises(InternalError, match="invalid blob key"):
        store.get("../../etc/passwd")


def test_transient_errors_are_retried(s3_bucket):
    store = store_for(s3_bucket, max_attempts=4)
    key = store.put(b"model")
    server = s3_bucket.server
    mark = server.mark()
    server.fail_next(2)
    assert store.get(key) == b"model"
    assert len(s3_bucket.object_reads(mark)) == 3


def test_errors_that_outlast_the_retries_are_retryable_storage_errors(s3_bucket):
    store = store_for(s3_bucket, max_attempts=2)
    key = store.put(b"model")
    s3_bucket.server.fail_next(2, status="500 Internal Server Error", code="InternalError")
    with pytest.raises(InternalError, match="after 2 attempts") as caught:
        store.get(key)
    assert caught.value.retryable
    assert caught.value.code == "storage_error"


def test_a_missing_bucket_is_named(s3_bucket):
    store = S3BlobStore(
        "no-such-bucket-here", "env", endpoint_url=s3_bucket.server.endpoint, region="us-east-1"
    )
    with pytest.raises(InternalError, match="'no-such-bucket-here' does not exist") as caught:
        store.check()
    assert caught.value.field == "storage_url"
    assert not caught.value.retryable
    with pytest.raises(InternalError, match="does not exist"):
        store.get("0" * 64)


def test_wrong_credentials_are_named_without_the_secret(s3_bucket, monkeypatch):
    store = store_for(s3_bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKEYATALL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    s3_bucket.server.enforce_credentials(True)
    try:
        with pytest.raises(InternalError, match="refused the credentials") as caught:
            store.check()
    finally:
        s3_bucket.server.enforce_credentials(False)
    assert "InvalidAccessKeyId" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value)
    assert SECRET_KEY not in str(caught.value)


def test_no_credentials_at_all(s3_bucket, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(InternalError, match="no usable AWS credentials"):
        store_for(s3_bucket).check()


def test_factory_puts_s3_behind_the_disk_cache(tmp_path):
    settings = Settings(data_dir=tmp_path, s3_endpoint_url="http://127.0.0.1:9")
    store = open_blob_store("s3://my-bucket/prod/classifiers", settings)
    assert isinstance(store, DiskCachedBlobStore)
    assert isinstance(store.remote, S3BlobStore)
    assert (store.remote.bucket, store.remote.prefix) == ("my-bucket", "prod/classifiers")
    assert store.local.root == tmp_path / "classifier-cache"
    uncached = open_blob_store(
        "s3://my-bucket", settings.with_overrides(classifier_disk_cache_mb=0)
    )
    assert isinstance(uncached, S3BlobStore)
    assert uncached.prefix == ""
    for bad in ("s3://", "s3://UPPER/x", "s3://a/x"):
        with pytest.raises(InternalError, match="invalid S3 bucket name") as caught:
            open_blob_store(bad, settings)
        assert caught.value.field == "storage_url"


def test_init_refuses_a_bucket_that_does_not_exist(s3_bucket, tmp_path, monkeypatch):
    monkeypatch.setenv("ESSAYGRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ESSAYGRADER_STORAGE_URL", "s3://missing-bucket-x/prod")
    monkeypatch.setenv("ESSAYGRADER_S3_ENDPOINT_URL", s3_bucket.server.endpoint)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 1
    assert "'missing-bucket-x' does not exist" in result.output
    monkeypatch.setenv("ESSAYGRADER_STORAGE_URL", s3_bucket.url)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert f"classifiers in S3 {s3_bucket.url}" in result.output
