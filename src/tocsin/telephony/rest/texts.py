"""Sending a text message through a provider's REST API.

A text fails the way a call does: a 4xx refusal certainly sent nothing, while a 5xx, a timeout
after sending or an answer without an id may have sent it. So the text helpers reuse
`transport.send` and `transport.call_id_from` and keep their `retry_safe` and `code`; they
reword only `user_message`, which an operator reads and which would otherwise speak of a call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tocsin.telephony.base import ProviderError
from tocsin.telephony.rest.transport import call_id_from, send

_DETAIL_LIMIT = 200

_USER_MESSAGES = {
    "unreachable": "Could not reach {label}; the text message was not sent.",
    "no_response": "{label} did not answer in time; the text message may have been sent.",
    "provider_auth": "{label} refused the credentials (HTTP {status}); check the settings.",
    "provider_rejected": "{label} refused the text message (HTTP {status}): {detail}",
    "provider_error": "{label} failed (HTTP {status}); the text message may have been sent.",
    "bad_response": ("{label} answered without a message id; the text message may have been sent."),
}


def _detail(response: httpx.Response | None, extract: Callable[[Any], str | None]) -> str:
    """What the provider said was wrong, quoted the way `transport.send` quotes it for a call."""
    if response is None:
        return "no detail"
    try:
        found = extract(response.json())
    except (ValueError, LookupError, TypeError, AttributeError):
        found = None
    return (found or response.reason_phrase or "no detail")[:_DETAIL_LIMIT]


def _about_text(
    label: str,
    error: ProviderError,
    response: httpx.Response | None,
    extract_error: Callable[[Any], str | None],
) -> ProviderError:
    template = _USER_MESSAGES.get(error.code)
    user_message = (
        template.format(
            label=label,
            status=response.status_code if response is not None else "",
            detail=_detail(response, extract_error),
        )
        if template is not None
        else error.user_message
    )
    return ProviderError(
        str(error), retry_safe=error.retry_safe, code=error.code, user_message=user_message
    )


async def send_text_request(
    label: str,
    request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    *,
    timeout_seconds: float,
    extract_error: Callable[[Any], str | None],
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Response:
    """`transport.send` for a send-text request, raising ProviderError worded for a text."""
    # Kept so that a refusal can quote the provider's reason in the reworded message.
    answered: list[httpx.Response] = []

    async def keeping_the_answer(client: httpx.AsyncClient) -> httpx.Response:
        response = await request(client)
        answered.append(response)
        return response

    try:
        return await send(
            label,
            keeping_the_answer,
            timeout_seconds=timeout_seconds,
            extract_error=extract_error,
            transport=transport,
        )
    except ProviderError as error:
        response = answered[-1] if answered else None
        raise _about_text(label, error, response, extract_error) from error


def message_id_from(label: str, response: httpx.Response, find: Callable[[Any], Any]) -> str:
    """The message id in an accepted send-text response; without one we cannot tell whether
    the text went, so it is not sent again."""
    try:
        return call_id_from(label, response, find)
    except ProviderError as error:
        raise _about_text(label, error, response, lambda body: None) from error
