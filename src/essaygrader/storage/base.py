"""The blob store interface: content-addressed, immutable bytes, verified on every read.

A blob's key is the sha256 of its content, so writing the same classifier twice stores
it once, and a reader can always tell whether what it got is what was written.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod

from essaygrader.errors import InternalError


class BlobStore(ABC):
    """Where trained classifiers live."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` atomically and return its key (its sha256, hex).

        Raises:
            InternalError: ``storage_error``; the store could not be written.
        """

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``, verified against it.

        Raises:
            InternalError: ``blob_not_found``; nothing is stored under ``key``.
            InternalError: ``blob_integrity_error``; the stored bytes do not match ``key``.
            InternalError: ``storage_error``; the store could not be read.
        """

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""

    @abstractmethod
    def checksum(self, key: str) -> str:
        """The sha256 (hex) of the bytes actually stored under ``key``."""

    def check(self) -> None:
        """Make sure the store can be used, so that a bad setting fails at start-up.

        Raises:
            InternalError: ``storage_access_error``; wrong credentials, a missing bucket or
                folder, or no
                permission; retrying cannot fix it.
            InternalError: ``storage_error``; the store cannot be reached now.
        """
        return  # a store with nothing to check

    def describe(self) -> str:
        """Where the store keeps its blobs, for logs and status output."""
        return type(self).__name__


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(key: str, data: bytes, where: str) -> bytes:
    """Return ``data`` if its sha256 is ``key``.

    Raises:
        InternalError: ``blob_integrity_error``; naming the blob and where it was read from.
    """
    actual = content_key(data)
    if actual != key:
        raise InternalError(
            f"classifier blob {key} at {where} is corrupt or was altered "
            f"(its content hashes to {actual}); retrain the item to replace it",
            key=key,
            actual=actual,
            code="blob_integrity_error",
        )
    return data


def check_key(key: str) -> str:
    """Refuse anything but a sha256 hex digest, so keys can never escape the store."""
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise InternalError(
            f"invalid blob key {key!r}: expected a sha256 hex digest",
            key=key,
            code="blob_integrity_error",
        )
    return key
