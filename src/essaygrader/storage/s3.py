"""Blobs in an S3 bucket, or any S3-compatible store: ``s3://bucket/prefix``.

Keys are ``<prefix>/<aa>/<bb>/<sha256>``, the local folder's layout, so the classifiers of
an embedded install move to S3 with ``aws s3 sync <data_dir>/classifiers s3://bucket/prefix``.
One bucket can serve several environments, each under its own prefix.

Integrity: every upload carries the blob's SHA-256 as an S3 checksum, so S3 refuses bytes
that were damaged on the way; every read asks S3 for that checksum and compares it with
the key before the bytes themselves are hashed (botocore also checks the bytes received
against it). A blob whose stored checksum disagrees with its key is refused.

Retries: botocore's standard mode retries throttling, 5xx responses and network errors
with exponential backoff, ``s3_max_attempts`` attempts in all; a failure that outlasts
them is a retryable :class:`StorageError`, so the task is retried later too. Missing or
wrong credentials, a missing bucket and denied permissions are
:class:`StorageAccessError`: retrying cannot fix them.

Credentials come from boto3's usual chain (``AWS_*`` environment variables, shared
credential files, an instance or task role); essaygrader never reads, stores or logs them.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from typing import Any, cast

from essaygrader.config import mask_url
from essaygrader.errors import InternalError
from essaygrader.storage.base import BlobStore, check_key, content_key, verify

# Bucket names: 3-63 lowercase letters, digits, dots and hyphens (S3's naming rules).
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
}
_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccountProblem"}
_WRONG_REGION = {"PermanentRedirect", "AuthorizationHeaderMalformed", "301"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` becomes ``("bucket", "some/prefix")``.

    Raises:
        InternalError: ``configuration_error``; the URL names no valid bucket.
    """
    rest = url.split("://", 1)[1] if "://" in url else ""
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET_NAME.match(bucket):
        raise InternalError(
            f"invalid S3 bucket name {bucket!r} in {url!r}; use s3://bucket/prefix",
            field="storage_url",
            code="configuration_error",
        )
    return bucket, prefix.strip("/")


class S3BlobStore(BlobStore):
    """Content-addressed blobs in S3.

    Args:
        bucket: The bucket; it must exist.
        prefix: Key prefix of this environment, without leading or trailing slashes.
        endpoint_url: An S3-compatible endpoint; None for AWS.
        region: The bucket's region; None reads it from the AWS configuration.
        max_attempts: Attempts per request, first one included.
        timeout_seconds: Connect and read timeout of one attempt.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        max_attempts: int = 5,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.max_attempts = max_attempts
        self.timeout_seconds = timeout_seconds
        self._client: Any = None
        self._client_pid = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def object_key(self, key: str) -> str:
        """Where blob ``key`` lives in the bucket."""
        check_key(key)
        path = f"{key[:2]}/{key[2:4]}/{key}"
        return f"{self.prefix}/{path}" if self.prefix else path

    def client(self) -> Any:
        """The boto3 client of this process.

        A client is made per process: one inherited across ``fork`` would share its
        connection pool with the parent.
        """
        pid = os.getpid()
        if self._client is None or self._client_pid != pid:
            with self._lock:
                if self._client is None or self._client_pid != pid:
                    self._client = self._make_client()
                    self._client_pid = pid
        return self._client

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            connect_timeout=self.timeout_seconds,
            read_timeout=self.timeout_seconds,
            user_agent_extra="essaygrader",
        )
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config
        )

    def put(self, data: bytes) -> str:
        key = content_key(data)
        object_key = self.object_key(key)
        try:
            # Blobs are immutable and content-addressed: writing one again is harmless,
            # and cheaper in permissions than asking first.
            self.client().put_object(
                Bucket=self.bucket,
                Key=object_key,
                Body=data,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=_s3_checksum(key),
                ContentType="application/octet-stream",
                Metadata={"sha256": key},
            )
        except Exception as exc:
            raise self._error(exc, "write", key) from exc
        return key

    def get(self, key: str) -> bytes:
        object_key = self.object_key(key)
        where = f"s3://{self.bucket}/{object_key}"
        try:
            response = self.client().get_object(
                Bucket=self.bucket, Key=object_key, ChecksumMode="ENABLED"
            )
            stored = response.get("ChecksumSHA256")
            # A multipart upload's checksum ("…-N") covers its parts, not the whole blob:
            # then only the bytes themselves can be checked, below.
            if stored is not None and "-" not in stored and stored != _s3_checksum(key):
                raise InternalError(
                    f"classifier blob {key} at {where} has the S3 checksum of other bytes "
                    f"({_hex(stored)}); it was altered: retrain the item to replace it",
                    key=key,
                    actual=_hex(stored),
                    code="blob_integrity_error",
                )
            data = cast(bytes, response["Body"].read())
        except InternalError:
            raise
        except Exception as exc:
            raise self._error(exc, "read", key) from exc
        return verify(key, data, where)

    def exists(self, key: str) -> bool:
        try:
            self.client().head_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            error = self._error(exc, "look up", key)
            if error.code == "blob_not_found":
                return False
            raise error from exc
        return True

    def checksum(self, key: str) -> str:
        object_key = self.object_key(key)
        try:
            head = self.client().head_object(
                Bucket=self.bucket, Key=object_key, ChecksumMode="ENABLED"
            )
            stored = head.get("ChecksumSHA256")
            if stored is not None and "-" not in stored:
                return _hex(stored)
            # Uploaded by another tool without a checksum: hash the bytes themselves.
            body = self.client().get_object(Bucket=self.bucket, Key=object_key)["Body"]
            return content_key(cast(bytes, body.read()))
        except Exception as exc:
            raise self._error(exc, "read", key) from exc

    def check(self) -> None:
        try:
            # A listing, unlike a HEAD, answers with an error code that tells wrong
            # credentials from a missing bucket or a missing permission.
            self.client().list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except Exception as exc:
            raise self._error(exc, "list", None) from exc

    def describe(self) -> str:
        where = f" at {mask_url(self.endpoint_url)}" if self.endpoint_url else ""
        return f"S3 {self.url}{where}"

    def _error(self, exc: Exception, action: str, key: str | None) -> InternalError:
        """The essaygrader error for a boto3 exception; never includes a secret."""
        from botocore.exceptions import (
            ClientError,
            FlexibleChecksumError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        target = f"classifier blob {key}" if key else "classifier blobs"
        place = f"{self.url}{f' at {mask_url(self.endpoint_url)}' if self.endpoint_url else ''}"
        details: dict[str, Any] = {"key": key, "bucket": self.bucket}
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return InternalError(
                f"no usable AWS credentials to {action} {target} in {place}: set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or give the "
                "machine an instance role",
                field="storage_url",
                **details,
                code="storage_access_error",
            )
        if isinstance(exc, FlexibleChecksumError):
            return InternalError(
                f"{target} in {place} does not match the checksum S3 keeps for it; it was "
                "damaged on the way or altered: retrain the item to replace it",
                actual=None,
                **details,
                code="blob_integrity_error",
            )
        if not isinstance(exc, ClientError):
            return InternalError(
                f"cannot {action} {target} in {place} after {self.max_attempts} attempts "
                f"({type(exc).__name__}); S3 or the network may be down",
                **details,
                code="storage_error",
            )
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _NOT_FOUND:
            return InternalError(f"{target} not found in {place}", **details, code="blob_not_found")
        if code in _NO_BUCKET:
            return InternalError(
                f"S3 bucket {self.bucket!r} does not exist in {place}: create it, or "
                "correct the storage_url setting",
                field="storage_url",
                **details,
                code="storage_access_error",
            )
        if code in _BAD_CREDENTIALS:
            return InternalError(
                f"S3 refused the credentials ({code}) to {action} {target} in {place}: check "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role",
                field="storage_url",
                **details,
                code="storage_access_error",
            )
        if code in _DENIED:
            return InternalError(
                f"S3 denied permission ({code}) to {action} {target} in {place}: the "
                "credentials need s3:ListBucket on the bucket and s3:GetObject and "
                "s3:PutObject under the prefix",
                field="storage_url",
                **details,
                code="storage_access_error",
            )
        if code in _WRONG_REGION:
            return InternalError(
                f"S3 bucket {self.bucket!r} is not in region {self.region or '(default)'} "
                f"({code}): set the s3_region setting to the bucket's region",
                field="s3_region",
                **details,
                code="storage_access_error",
            )
        return InternalError(
            f"cannot {action} {target} in {place}: S3 answered {code or status} after "
            f"{self.max_attempts} attempts",
            **details,
            code="storage_error",
        )


def _s3_checksum(key: str) -> str:
    """S3 spells a SHA-256 checksum in base64; the key is the same digest in hex."""
    return base64.b64encode(bytes.fromhex(key)).decode("ascii")


def _hex(s3_checksum: str) -> str:
    try:
        return base64.b64decode(s3_checksum).hex()
    except ValueError:
        return s3_checksum
