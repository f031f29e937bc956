"""A request's whole body must arrive within a deadline, and a client that leaves mid-body
costs one line of log.

uvicorn bounds the time between requests (`timeout_keep_alive`) but not the time a request
takes to arrive: its own tracking issue for `--timeout-request-complete` is still open
(Kludex/uvicorn#157), and each byte received cancels the keep-alive timer
(`_unset_keepalive_if_required` first thing in `data_received`). So a client sending a body a
byte at a time held its connection, and the buffers behind it, for as long as it liked
(issue 17, finding 8). Headers are bounded one level down, in the protocol
(http/header_deadline.py): an ASGI application is called only once they are complete.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.core.errors import RequestTimeout
from tocsin.http.errors import error_response

log = logging.getLogger(__name__)


class Ending(Enum):
    """How a body stopped short."""

    TIMED_OUT = "timed out"
    CLIENT_LEFT = "client left"


class BodyDeadline:
    """ASGI middleware: from the moment the application is called (the headers are in), the
    body has `seconds()` to arrive whole. Past that the client is answered 408 with
    `Connection: close`, the application reads a disconnect, and what it answers is dropped.

    Any answer sent before the whole body was read also carries `Connection: close`: uvicorn
    would otherwise keep the connection for a next request, and a client trickling the unread
    rest would hold it, each byte cancelling the keep-alive timer.
    """

    def __init__(self, app: ASGIApp, seconds: Callable[[], float]) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = _Upload(scope, receive, send, self.seconds())
        try:
            await self.app(scope, upload.receive, upload.send)
        except ClientDisconnect:
            # A disconnect this middleware passed on (and logged) or made (and answered 408):
            # the client's doing, not an error of the application's to log with a traceback.
            if upload.ending is None:
                raise


class _Upload:
    """One request's body on its way in, and the answer on its way out."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, seconds: float) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.seconds = seconds
        self.deadline = anyio.current_time() + seconds
        self.body_complete = not _has_body(scope)
        self.ending: Ending | None = None
        self.answered = False

    async def receive(self) -> Message:
        if self.body_complete or self.ending is not None:
            return await self._receive()
        message: Message | None = None
        with anyio.move_on_after(self.deadline - anyio.current_time()):
            message = await self._receive()
        if message is None:
            await self._time_out()
            return {"type": "http.disconnect"}
        if message["type"] == "http.disconnect":
            self.ending = Ending.CLIENT_LEFT
            log.info("client %s went away before sending the whole body of %s", *self._who())
        elif not message.get("more_body", False):
            self.body_complete = True
        return message

    async def send(self, message: Message) -> None:
        if self.ending is Ending.TIMED_OUT:
            return  # the client has its 408 already
        if message["type"] == "http.response.start":
            self.answered = True
            if not self.body_complete:
                message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
        await self._send(message)

    async def _time_out(self) -> None:
        self.ending = Ending.TIMED_OUT
        log.info(
            "client %s did not send the whole body of %s within %g s; answered 408",
            *self._who(),
            self.seconds,
        )
        if self.answered:
            return
        error = RequestTimeout(f"the request body did not arrive within {self.seconds:g} s")
        response = error_response(
            error.status_code, error.code, error.message, headers=error.headers()
        )
        await response(self.scope, self._receive, self._send)

    def _who(self) -> tuple[str, str]:
        client = self.scope.get("client")
        return (client[0] if client else "?", f"{self.scope['method']} {self.scope['path']}")


_CLOSE = (b"connection", b"close")


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    if b"transfer-encoding" in headers:
        return True
    return headers.get(b"content-length", b"").strip() not in (b"", b"0")
