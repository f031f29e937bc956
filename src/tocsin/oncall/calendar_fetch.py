"""Fetching an external iCal calendar: the same host rule as every request Tocsin makes to an
address a customer chose (`telephony.hosts`: public addresses only, https only, checked after
each DNS lookup and again for every redirect), at most `MAX_BYTES`, within `SECONDS` in all.

A calendar's address is the customer's to choose, so without the rule the server would fetch
its own loopback, the private network or the cloud metadata service for them. The time limit
covers the whole fetch, not each read, so a server that trickles a byte a second is cut off too.
A compressed answer is inflated here, a piece at a time and never past the limit, rather than by
httpx, which inflates each piece whole: 64 KiB of gzip can hold 64 MiB.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib

import httpx

from tocsin.telephony.hosts import HostPolicy, HostRefused, PublicHostsTransport

MAX_BYTES = 2 * 1024 * 1024
SECONDS = 10.0
MAX_REDIRECTS = 3


class CalendarFetchFailed(Exception):
    """Why a calendar could not be fetched, in words its owners can act on."""


def check_calendar_url(policy: HostPolicy, url: str) -> None:
    """HostRefused (422) for an address the fetcher would refuse: not https, or a host that
    does not resolve only to public addresses."""
    policy.check_url(url, what="calendar URL")


async def fetch_calendar(
    url: str,
    *,
    policy: HostPolicy,
    max_bytes: int = MAX_BYTES,
    seconds: float = SECONDS,
    verify: ssl.SSLContext | None = None,
) -> bytes:
    """The calendar's bytes; CalendarFetchFailed for a refused host, an error status, a body
    over `max_bytes` or a fetch longer than `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            return await _fetch(url, policy, max_bytes, verify)
    except TimeoutError:
        raise CalendarFetchFailed(f"no complete answer within {seconds:g} seconds") from None


async def _fetch(
    url: str, policy: HostPolicy, max_bytes: int, verify: ssl.SSLContext | None
) -> bytes:
    try:
        check_calendar_url(policy, url)
    except HostRefused as refused:
        raise CalendarFetchFailed(refused.message) from refused
    transport = PublicHostsTransport(policy, verify=verify)
    try:
        async with (
            httpx.AsyncClient(
                transport=transport,
                # Each hop goes through the transport, which checks its host again.
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={
                    "Accept": "text/calendar",
                    "Accept-Encoding": "gzip, deflate",
                    "User-Agent": "Tocsin calendar fetcher",
                },
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise CalendarFetchFailed(f"the calendar's server answered {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise CalendarFetchFailed(_too_large(max_bytes))
            inflate = _inflater(response.headers.get("content-encoding", ""))
            body = bytearray()
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > max_bytes:
                    raise CalendarFetchFailed(_too_large(max_bytes))
                if inflate is None:
                    body += chunk
                else:
                    body += inflate.decompress(chunk, max_bytes + 1 - len(body))
                    if inflate.unconsumed_tail:
                        raise CalendarFetchFailed(_too_large(max_bytes))
                if len(body) > max_bytes:
                    raise CalendarFetchFailed(_too_large(max_bytes))
            if inflate is not None:
                body += inflate.flush()
                if len(body) > max_bytes:
                    raise CalendarFetchFailed(_too_large(max_bytes))
            return bytes(body)
    except zlib.error:
        raise CalendarFetchFailed("the calendar's compressed answer is broken") from None
    except httpx.TooManyRedirects:
        raise CalendarFetchFailed("too many redirects") from None
    except httpx.HTTPError as error:
        # A refused host fails as a connection that could not be made (PublicHostsTransport):
        # the same words as a host that is down, so nothing is learnt about what listens.
        raise CalendarFetchFailed(f"could not fetch the calendar: {error}") from None


def _inflater(encoding: str) -> zlib._Decompress | None:
    """None for an answer as it is; a zlib inflater for gzip or deflate (zlib-wrapped, as HTTP
    means it); CalendarFetchFailed for any other encoding (none other is asked for)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip", "deflate"):
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib header, told apart
    raise CalendarFetchFailed(f"the calendar came compressed as {name!r}, which was not asked for")


def _too_large(max_bytes: int) -> str:
    return f"the calendar is larger than {max_bytes // 1024} KiB"
