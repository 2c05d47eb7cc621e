"""Blobs in a local folder: ``<root>/<aa>/<bb>/<sha256>``, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from essaygrader.errors import InternalError
from essaygrader.storage.base import BlobStore, check_key, content_key, verify


class LocalBlobStore(BlobStore):
    """Content-addressed blobs on the local disk.

    Args:
        root: The folder; created on first write.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file that holds (or would hold) blob ``key``."""
        check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = content_key(data)
        path = self.path(key)
        if path.exists():
            return key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: readers see all of the blob or none.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise InternalError(
                f"cannot write classifier blob {key} under {self.root}: {exc}",
                key=key,
                code="storage_error",
            ) from exc
        return key

    def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise InternalError(
                f"classifier blob {key} not found at {path}", key=key, code="blob_not_found"
            ) from exc
        except OSError as exc:
            raise InternalError(
                f"cannot read classifier blob {key} at {path}: {exc}", key=key, code="storage_error"
            ) from exc
        return verify(key, data, str(path))

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def checksum(self, key: str) -> str:
        path = self.path(key)
        try:
            return content_key(path.read_bytes())
        except FileNotFoundError as exc:
            raise InternalError(
                f"classifier blob {key} not found at {path}", key=key, code="blob_not_found"
            ) from exc

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InternalError(
                f"cannot create the classifier folder {self.root}: {exc.strerror}",
                field="storage_url",
                code="storage_access_error",
            ) from exc
        if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
            raise InternalError(
                f"the classifier folder {self.root} is not readable and writable by this user",
                field="storage_url",
                code="storage_access_error",
            )

    def describe(self) -> str:
        return f"local folder {self.root}"
