"""How a Tocsin process writes its log: text (the default) or one JSON object a line.

Tocsin logs through the standard library's `logging`, as uvicorn does; one handler on the root
logger renders every record through structlog's processors, so uvicorn's lines and Tocsin's
share a format. Fields given as `extra={...}` become keys of the JSON object (or `key=value`
after a text line), and so do the fields bound to the context: the request id of the HTTP
request being served (asgi-correlation-id), or of the alert whose call a worker is placing
(`bound`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from asgi_correlation_id import correlation_id

from tocsin.core.config import LogFormat

# What a request id may be, taken from a client's X-Request-ID or stored with an alert: short
# and plain, so it cannot forge a log line or overflow its column (64 characters).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def valid_request_id(value: str) -> bool:
    return _REQUEST_ID.fullmatch(value) is not None


def _request_id(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """The request id of the HTTP request this line is written for, unless a worker bound the
    id of the alert it is working on."""
    if "request_id" not in event:
        request_id = correlation_id.get()
        if request_id:
            event["request_id"] = request_id
    return event


def _text(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> str:
    """`time LEVEL logger message key=value ...`, the text format Tocsin always wrote, with
    the fields after it."""
    head = " ".join(str(event.pop(key, "")) for key in ("timestamp", "level", "logger", "event"))
    trace = event.pop("exception", None)
    fields = " ".join(f"{key}={value}" for key, value in event.items())
    line = f"{head} {fields}" if fields else head
    return f"{line}\n{trace}" if trace else line


def _without_colours(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    """uvicorn passes its message again with terminal colour codes (`color_message`) as an
    extra field: noise in a text line, escape codes in JSON."""
    event.pop("color_message", None)
    return event


def _upper_level(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Any:
    event["level"] = str(event.get("level", "")).upper()
    return event


def formatter(log_format: LogFormat) -> logging.Formatter:
    """A formatter for the root logger's handler: every record, Tocsin's or a library's."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _without_colours,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if log_format == LogFormat.JSON:
        final: list[Any] = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    else:
        final = [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _upper_level,
            structlog.processors.format_exc_info,
            _text,
        ]
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is logged, not to the one there was at
    start: a command run in-process (a test's CliRunner) swaps it and closes its own after."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(
    log_format: LogFormat | str = LogFormat.TEXT,
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record to `stream` (standard error) in `log_format`; returns the handler.
    Called once by `tocsin serve` and `tocsin worker`; uvicorn is told to leave logging alone,
    and its loggers pass their records up to this one."""
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.setFormatter(formatter(LogFormat(log_format)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # As the root logger decides, until uvicorn's Config sets its own level on them.
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.setLevel(logging.NOTSET)
        uvicorn_logger.propagate = True
    return handler


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Add `fields` (those not None) to every line logged in this context: in this task, and in
    the database work it hands to threads (Database.off_loop carries the context along)."""
    given = {key: value for key, value in fields.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**given):
        yield


def mask_number(number: str) -> str:
    """A phone number as a log shows it: its first two digits and its last four,
    `+44******3456`; enough to tell numbers apart in an incident, not enough to call one."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) <= 6:
        return "+" + "*" * len(digits)
    return f"+{digits[:2]}{'*' * (len(digits) - 6)}{digits[-4:]}"
