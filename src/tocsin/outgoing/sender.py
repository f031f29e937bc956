"""POSTing one delivery: signed, to the address the host rule vetted, within a time limit,
never following a redirect, and reading no more of the answer than the log keeps.

The request goes through `telephony.hosts.PublicHostsTransport`, which looks the host up,
refuses it unless every address is allowed, and connects to the address it checked with the
URL's name kept for TLS (SNI, certificate) and the Host header; so a name that resolves to
127.0.0.1 or 169.254.169.254 at send time, whatever it resolved to when the subscription was
saved, is never reached. Which hosts are allowed, and which certificates trusted, are passed
in (`SenderSettings`): the server's are public hosts only and the system's trust store; tests
hand it a policy and a TLS context of their own."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from tocsin import __version__
from tocsin.core.secretbox import SecretBox
from tocsin.outgoing.retries import Answer
from tocsin.outgoing.urls import WebhookUrlRefused, url_shape
from tocsin.telephony.hosts import HostPolicy, HostRefused, PublicHostsTransport

SNIPPET_BYTES = 1024
USER_AGENT = f"Tocsin-Webhooks/{__version__}"


@dataclass(frozen=True)
class SenderSettings:
    """How the worker sends webhooks."""

    # Opens the subscriptions' sealed secrets.
    box: SecretBox
    # Where the dashboard is, for the alert's link in each body.
    base_url: str
    # Which hosts deliveries may reach: public ones only, unless a test says otherwise.
    hosts: HostPolicy = field(default_factory=HostPolicy)
    # Which certificates to trust; None: the system's.
    tls: ssl.SSLContext | None = None
    # The whole attempt, connecting included (Standard Webhooks suggests 15 to 30 seconds),
    # and the connection alone.
    seconds: float = 15.0
    connect_seconds: float = 5.0
    # Deliveries claimed (and sent at once) per round, and how long each is held.
    batch: int = 20
    lease: timedelta = timedelta(minutes=2)


async def post(
    url: str, body: bytes, signed: dict[str, str], *, settings: SenderSettings
) -> Answer:
    """One attempt: the receiver's status and the start of its answer, or what went wrong.
    Never raises for the receiver's sake: a refused host, a timeout or a broken connection
    is an Answer without a status."""
    started = time.monotonic()

    def failed(error: str) -> Answer:
        return Answer(None, error=error, milliseconds=_since(started))

    try:
        url_shape(url)
    except WebhookUrlRefused as refused:
        return failed(refused.message)
    headers = {
        **signed,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # The snippet is read raw: an inflated answer could be any size.
        "Accept-Encoding": "identity",
    }
    try:
        async with asyncio.timeout(settings.seconds):
            async with (
                httpx.AsyncClient(
                    transport=PublicHostsTransport(settings.hosts, verify=settings.tls),
                    follow_redirects=False,
                    timeout=httpx.Timeout(settings.seconds, connect=settings.connect_seconds),
                ) as client,
                client.stream("POST", url, content=body, headers=headers) as response,
            ):
                snippet = await _start_of(response)
                return Answer(
                    response.status_code,
                    retry_after=response.headers.get("retry-after"),
                    snippet=snippet,
                    milliseconds=_since(started),
                )
    except TimeoutError:
        return failed(f"no answer within {settings.seconds:g} seconds")
    except httpx.TimeoutException:
        return failed("the receiver did not answer in time")
    except httpx.ConnectError as error:
        if isinstance(error.__cause__, HostRefused):
            return failed("not sent: the host resolved to an address that is not public")
        return failed(f"could not connect: {error}")
    except httpx.HTTPError as error:
        return failed(f"{type(error).__name__}: {error}")


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def _start_of(response: httpx.Response) -> str:
    read = bytearray()
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= SNIPPET_BYTES:
            break
    return bytes(read[:SNIPPET_BYTES]).decode("utf-8", errors="replace")
