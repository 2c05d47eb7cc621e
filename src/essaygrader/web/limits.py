"""A cap on request bodies, checked before any route reads one.

The body is read into memory up to the cap (routes parse JSON or forms whole anyway),
then handed on; a larger one is refused with 413 without reading the rest, whether its
size was declared in ``Content-Length`` or not.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from essaygrader.errors import EssayGraderError, RequestError
from essaygrader.web.errors import error_response


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with a 413 error body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._refuse(
                    scope,
                    send,
                    RequestError("Content-Length is not a number", code="malformed_request"),
                )
                return
            if size > self.max_bytes:
                await self._refuse(scope, send, self._too_large())
                return
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see the disconnect.
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(scope, send, self._too_large())
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        await self.app(scope, _replay(chunks, None, receive), send)

    def _too_large(self) -> RequestError:
        return RequestError(
            f"the request body is larger than {self.max_bytes:,} bytes (setting "
            "http_max_body_bytes); send fewer essays or examples per request",
            code="payload_too_large",
        )

    async def _refuse(self, scope: Scope, send: Send, error: EssayGraderError) -> None:
        response = error_response(Request(scope), error)
        # The unread rest of the body is not wanted; tell the client not to reuse this
        # connection rather than drain it.
        response.headers["Connection"] = "close"
        await response(scope, _nothing, send)


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    pending: list[Message] = [
        {"type": "http.request", "body": b"".join(chunks), "more_body": False}
    ]
    if last is not None:
        pending = [last]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
