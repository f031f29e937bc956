"""Errors that carry a stable code, a message safe to show, and the HTTP status they mean.

Services raise these; the API turns them into `{"error": {"code", "message"}}` and the CLI into
one line on stderr with a non-zero exit.
"""

from __future__ import annotations

from typing import Any, Self


class TocsinError(Exception):
    status_code = 400
    default_code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        cli_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details
        # The same refusal for someone at the shell, where the message names an API route
        # to fix it by and the shell has a command of its own.
        self.cli_message = cli_message
        # Set by `on_record`: the transaction this refusal leaves commits before the error
        # goes on (`tocsin.db.engine.Database.write`).
        self.keeps_record = False

    def on_record(self) -> Self:
        """This refusal comes with its own evidence, written in the caller's transaction (the
        audit event of an attempt the policy forbids): refusing must not also erase the
        record of the attempt. Only for a refusal raised before the command changed anything
        else."""
        self.keeps_record = True
        return self

    def headers(self) -> dict[str, str] | None:
        """Response headers the error needs, e.g. Retry-After."""
        return None


class InvalidInput(TocsinError):
    status_code = 422
    default_code = "invalid"


class Unauthorized(TocsinError):
    status_code = 401
    default_code = "unauthorized"
    # RFC 9110 asks every 401 to say how to authenticate; clients such as Amazon SNS send
    # the credentials of their URL only once challenged.
    challenge = 'Bearer realm="tocsin"'

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": self.challenge}


class Forbidden(TocsinError):
    status_code = 403
    default_code = "forbidden"


class NotFound(TocsinError):
    status_code = 404
    default_code = "not_found"


class Conflict(TocsinError):
    status_code = 409
    default_code = "conflict"


class PayloadTooLarge(TocsinError):
    status_code = 413
    default_code = "payload_too_large"


class RequestTimeout(TocsinError):
    """The client did not send its whole request in time; the connection closes with the
    answer, so whatever it still sends cannot hold the connection open."""

    status_code = 408
    default_code = "request_timeout"

    def headers(self) -> dict[str, str] | None:
        return {"Connection": "close"}


class HeadersTooLarge(TocsinError):
    status_code = 431
    default_code = "headers_too_large"


class Unavailable(TocsinError):
    status_code = 503
    default_code = "unavailable"


class UnsupportedMediaType(TocsinError):
    status_code = 415
    default_code = "unsupported_media_type"
