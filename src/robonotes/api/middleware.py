"""Raw ASGI middlewares: the request body limit and the last-resort 500 handler.

They are raw ASGI rather than Starlette's BaseHTTPMiddleware so that the limit holds while a
chunked body streams in, and so that nothing buffers the body a second time.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from robonotes.api.problems import PROBLEM_MEDIA_TYPE, RequestTooLargeError, problem_bytes

log = logging.getLogger(__name__)


async def send_problem(send: Send, *, status: int, detail: str, instance: str) -> None:
    """Answer with a problem+json document straight on the ASGI channel."""
    body = problem_bytes(status=status, detail=detail, instance=instance)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for a body over `max_bytes`: from Content-Length at once, else counted as it streams."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        declared = [value for name, value in scope.get("headers", []) if name == b"content-length"]
        if declared:
            try:
                length = int(declared[0].decode("latin-1").strip())
            except ValueError:
                length = -1
            if length < 0 or len(declared) > 1:
                await send_problem(
                    send, status=400, detail="the Content-Length header is invalid", instance=path
                )
                return
            if length > self.max_bytes:
                await send_problem(
                    send,
                    status=413,
                    detail=RequestTooLargeError(self.max_bytes).detail,
                    instance=path,
                )
                return

        received_bytes = 0

        async def limited_receive() -> Message:
            nonlocal received_bytes
            message = await receive()
            if message["type"] == "http.request":
                received_bytes += len(message.get("body", b""))
                if received_bytes > self.max_bytes:
                    raise RequestTooLargeError(self.max_bytes)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except RequestTooLargeError as exc:
            # Normally the app's handler answers; this covers a body read outside any route.
            if started:
                raise
            await send_problem(send, status=413, detail=exc.detail, instance=path)


class CatchAllMiddleware:
    """Anything unexpected becomes a problem+json 500 that names no internals; it is logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception(
                "unhandled error in request",
                extra={"method": scope.get("method"), "path": scope.get("path")},
            )
            if started:
                raise
            await send_problem(
                send,
                status=500,
                detail="an unexpected error occurred; it has been logged",
                instance=str(scope.get("path", "")),
            )
