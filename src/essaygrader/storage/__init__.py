"""Classifier blob storage: an interface, a local folder, S3, a disk cache, and the
factory that picks one from the ``storage_url`` setting."""

from __future__ import annotations

from urllib.parse import urlparse
from urllib.request import url2pathname

from essaygrader.config import Settings
from essaygrader.errors import InternalError
from essaygrader.storage.base import BlobStore
from essaygrader.storage.cache import DiskCachedBlobStore
from essaygrader.storage.local import LocalBlobStore

__all__ = ["BlobStore", "DiskCachedBlobStore", "LocalBlobStore", "open_blob_store"]


def open_blob_store(url: str, settings: Settings | None = None) -> BlobStore:
    """The blob store a ``storage_url`` setting names.

    A remote store (S3) is put behind the local disk cache of the
    ``classifier_disk_cache_*`` settings, unless its size is 0.

    Args:
        url: ``file:///path`` or ``s3://bucket/prefix``.
        settings: S3 and disk cache settings; the defaults when None.

    Raises:
        InternalError: ``configuration_error``; the scheme is not supported or the URL is malformed.
    """
    settings = settings or Settings()
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(url2pathname(parsed.path))
    if parsed.scheme == "s3":
        from essaygrader.storage.s3 import S3BlobStore, parse_s3_url

        bucket, prefix = parse_s3_url(url)
        remote = S3BlobStore(
            bucket,
            prefix,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
            max_attempts=settings.s3_max_attempts,
            timeout_seconds=settings.s3_timeout_seconds,
        )
        if settings.classifier_disk_cache_mb == 0:
            return remote
        return DiskCachedBlobStore(
            remote,
            settings.resolved_disk_cache_dir,
            settings.classifier_disk_cache_mb * 2**20,
        )
    raise InternalError(
        f"unsupported storage URL scheme {parsed.scheme!r}; use file:///path or s3://bucket/prefix",
        field="storage_url",
        code="configuration_error",
    )
