"""Fetching an external iCal calendar: the same host rule as every request Tocsin makes to an
address a customer chose (`telephony.hosts`: public addresses only, https only, checked after
each DNS lookup and again for every redirect), at most `MAX_BYTES`, within `SECONDS` in all.

A calendar's address is the customer's to choose, so without the rule the server would fetch
its own loopback, the private network or the cloud metadata service for them. The time limit
covers the whole fetch, not each read, so a server that trickles a byte a second is cut off too.
"""

from __future__ import annotations

import asyncio
import ssl

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
                headers={"Accept": "text/calendar", "User-Agent": "Tocsin calendar fetcher"},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise CalendarFetchFailed(f"the calendar's server answered {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise CalendarFetchFailed(_too_large(max_bytes))
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise CalendarFetchFailed(_too_large(max_bytes))
            return bytes(body)
    except httpx.TooManyRedirects:
        raise CalendarFetchFailed("too many redirects") from None
    except httpx.HTTPError as error:
        # A refused host fails as a connection that could not be made (PublicHostsTransport):
        # the same words as a host that is down, so nothing is learnt about what listens.
        raise CalendarFetchFailed(f"could not fetch the calendar: {error}") from None


def _too_large(max_bytes: int) -> str:
    return f"the calendar is larger than {max_bytes // 1024} KiB"
