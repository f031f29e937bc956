"""A request's headers must arrive within a deadline, and be no bigger than a cap.

uvicorn starts no timer when a connection opens, and cancels its keep-alive timer on every
byte received (`_unset_keepalive_if_required`, first thing in `data_received`): a connection
that sent nothing, or its headers a byte at a time, was held for good (issue 17, finding 8).
Its tracking issue for a `--timeout-request-start` is still open (Kludex/uvicorn#157). And
httptools (llhttp), which uvicorn picks when installed, as `uvicorn[standard]` does, buffers
headers without limit; only uvicorn's h11 protocol has one (`h11_max_incomplete_event_size`).
An ASGI middleware cannot help: the application is called once the headers are complete. So
this is uvicorn's httptools protocol with both bounds added.

The clock starts when the connection opens, or when the first byte of the next request on it
arrives, and stops when the headers are complete, which is when uvicorn makes the request's
cycle. The body has a deadline of its own (http/body_deadline.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from tocsin.core.errors import HeadersTooLarge, RequestTimeout, TocsinError

log = logging.getLogger(__name__)

# Request line and headers together. nginx takes 32 KiB by default (4 buffers of 8 KiB), h11
# 16 KiB; Tocsin's largest honest headers are a session cookie and an Authorization header.
MAX_HEADER_BYTES = 64 * 1024


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request headers take longer
    than `header_seconds` (408, or silently if it sent nothing) or grow past
    `MAX_HEADER_BYTES` (431)."""

    header_seconds = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_clock: asyncio.TimerHandle | None = None
        self._cycle_before: RequestResponseCycle | None = None
        self._header_bytes = 0
        super().connection_made(transport)
        self._start_header_clock()

    def data_received(self, data: bytes) -> None:
        if self._header_clock is None and self._between_requests():
            self._start_header_clock()
        if self._header_clock is not None:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._header_clock is None:
            return
        if self._current_cycle() is not self._cycle_before:
            self._stop_header_clock()
        elif self._header_bytes > MAX_HEADER_BYTES:
            self._stop_header_clock()
            log.info("closed a connection from %s: request headers over the cap", self._peer())
            self._refuse(HeadersTooLarge(f"request headers are over {MAX_HEADER_BYTES} bytes"))

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def _current_cycle(self) -> RequestResponseCycle | None:
        return self.cycle

    def _between_requests(self) -> bool:
        cycle = self._current_cycle()
        return cycle is None or cycle.response_complete

    def _start_header_clock(self) -> None:
        self._cycle_before = self._current_cycle()
        self._header_bytes = 0
        self._header_clock = self.loop.call_later(self.header_seconds, self._headers_timed_out)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _headers_timed_out(self) -> None:
        self._header_clock = None
        if self.transport.is_closing():
            return
        if not self._header_bytes:
            # An idle connection (a browser opens spares): nothing to answer, nothing to say.
            self.transport.close()
            return
        log.info(
            "closed a connection from %s: request headers not complete within %g s",
            self._peer(),
            self.header_seconds,
        )
        self._refuse(
            RequestTimeout(f"the request headers did not arrive within {self.header_seconds:g} s")
        )

    def _refuse(self, error: TocsinError) -> None:
        """Answer in Tocsin's error shape, written here since no application has the request,
        and close."""
        if self.transport.is_closing():
            return
        shape = {"error": {"code": error.code, "message": error.message}}
        body = json.dumps(shape, separators=(",", ":")).encode()
        head = (
            f"HTTP/1.1 {error.status_code} {HTTPStatus(error.status_code).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def _peer(self) -> str:
        return self.client[0] if self.client else "?"


def with_header_deadline(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for uvicorn's `http` setting, with this deadline."""

    class Bounded(HeaderDeadlineProtocol):
        header_seconds = seconds

    return Bounded
