"""moto's S3 server on loopback: a real HTTP S3 endpoint that counts what it is asked.

The server is moto's own WSGI application (what ``moto_server`` runs) behind a thin
middleware that records every request's method and path before moto answers it, and can
answer the next few requests with an error instead. Counting at the server sees the
requests of every process (worker processes included) exactly as S3 would, without any
hook in essaygrader's code.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

ACCESS_KEY = "AKIAESSAYGRADERTEST"
SECRET_KEY = "essaygrader-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str


@dataclass
class _Faults:
    remaining: int = 0
    status: str = "503 Slow Down"
    code: str = "SlowDown"


class CountingApp:
    """WSGI middleware: record each request; inject errors on demand."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.requests: list[Request] = []
        self.faults = _Faults()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        inject = False
        if not path.startswith("/moto-api"):
            with self._lock:
                self.requests.append(
                    Request(environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""))
                )
                if self.faults.remaining > 0:
                    self.faults.remaining -= 1
                    inject = True
        if inject:
            body = (
                f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.faults.code}"
                f"</Code><Message>injected by the test</Message></Error>"
            ).encode()
            start_response(
                self.faults.status,
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)


class S3Server:
    """moto's S3 in server mode, on an ephemeral loopback port, in a thread."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.app = CountingApp(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> S3Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    def fail_next(self, count: int, status: str = "503 Slow Down", code: str = "SlowDown") -> None:
        """Answer the next ``count`` requests with an error, as S3 does under load."""
        self.app.faults = _Faults(count, status, code)

    def requests_since(self, mark: int) -> list[Request]:
        return list(self.app.requests[mark:])

    def mark(self) -> int:
        """A position in the request log, for :meth:`requests_since`."""
        return len(self.app.requests)

    def enforce_credentials(self, enforce: bool) -> None:
        """Make moto check signatures and access keys (off by default)."""
        count = "0" if enforce else "inf"
        requests.post(f"{self.endpoint}/moto-api/reset-auth", data=count, timeout=10)


@dataclass
class S3Bucket:
    """A fresh bucket on the test server, and the settings that point at it."""

    server: S3Server
    name: str
    prefix: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"s3://{self.name}/{self.prefix}"

    def client(self) -> Any:
        import boto3

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        ).client("s3", endpoint_url=self.server.endpoint)

    def object_reads(self, since: int) -> list[Request]:
        """GET and HEAD requests for objects under this bucket's prefix."""
        under = f"/{self.name}/{self.prefix}/"
        return [
            r
            for r in self.server.requests_since(since)
            if r.method in ("GET", "HEAD") and r.path.startswith(under)
        ]


def new_bucket(server: S3Server, prefix: str = "test-env") -> S3Bucket:
    """Create a bucket with a unique name; ``env`` holds the variables a process needs."""
    name = f"essaygrader-{uuid.uuid4().hex[:16]}"
    bucket = S3Bucket(
        server,
        name,
        prefix,
        env={
            "ESSAYGRADER_STORAGE_URL": f"s3://{name}/{prefix}",
            "ESSAYGRADER_S3_ENDPOINT_URL": server.endpoint,
            "ESSAYGRADER_S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            # Nothing from the machine's own AWS configuration may leak into a test.
            "AWS_CONFIG_FILE": "/nonexistent/essaygrader-test",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/essaygrader-test",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    bucket.client().create_bucket(Bucket=name)
    return bucket
