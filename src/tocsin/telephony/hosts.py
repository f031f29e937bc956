"""Organizations' provider hosts: public only, checked after DNS resolution every time, and
reached at the address that was checked.

An organization's SIP trunk host and REST `api_base_url` are the customer's to choose, so the
server would otherwise connect wherever they say: its own loopback, the private network, the
cloud metadata service. `HostPolicy` resolves a host and allows it only when every address it
resolves to is public (`tocsin.core.addresses.is_public`) or on the operator's allowlist.
It runs when an account is saved (so a bad host is refused with a 422) and again before every
connection; the connection then goes to the address just checked, never to a fresh lookup,
so a name that resolves to a public address at the check and to 127.0.0.1 a moment later
(DNS rebinding) cannot move the target.

A refusal at dial time looks exactly like a host that cannot be reached: the customer learns
nothing about what listens at an address the server would not contact. The platform's own
providers are the operator's choice and are built without a policy (`BuildContext.hosts`).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, ip_address
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from tocsin.core.addresses import HostAllowlist, IPAddress, parse_address
from tocsin.core.errors import InvalidInput

# A blocking lookup: the addresses `host` resolves to, as text. Raises OSError when it
# resolves to nothing.
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


T = TypeVar("T")


class HostRefused(InvalidInput):
    default_code = "provider_host_not_allowed"


@dataclass(frozen=True)
class HostPolicy:
    allowlist: HostAllowlist = field(default_factory=HostAllowlist)
    resolver: Resolver = system_resolver

    def resolving_with(self, resolver: Resolver) -> HostPolicy:
        return replace(self, resolver=resolver)

    def addresses(self, host: str, port: int, *, what: str) -> list[IPAddress]:
        """Every address `host` resolves to, when all of them may be reached; HostRefused
        otherwise, and also when it resolves to nothing (the same words either way). Blocks
        while it looks the name up."""
        literal = parse_address(host)
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ip_address(address) for address in self.resolver(host, port)]
            except (OSError, UnicodeError, ValueError):
                found = []
        if found and (
            self.allowlist.allows_name(host)
            or all(self.allowlist.allows_address(address) for address in found)
        ):
            return found
        raise HostRefused(
            f"{what} {host!r} is not allowed: an organization's provider hosts must resolve"
            " only to public internet addresses (the server's operator can allow others)",
            details={"host": host},
        )

    def check_url(self, url: str, *, what: str) -> None:
        """An https URL whose host `addresses` allows; plain http only for a host on the
        operator's allowlist (a test double on the private network, say)."""
        try:
            parts = urlsplit(url)
            scheme, host, port = parts.scheme, parts.hostname or "", parts.port
        except ValueError:
            scheme, host, port = "", "", None
        if not host:
            raise HostRefused(f"{what} is not a URL with a host", details={"host": ""})
        if scheme != "https" and not self.plain_http_allowed(host):
            raise HostRefused(f"{what} must be an https URL", details={"host": host})
        self.addresses(host, port or 443, what=f"{what} host")

    async def address_for(
        self, host: str, port: int, *, what: str, family: socket.AddressFamily | None = None
    ) -> str:
        """The address to connect to for `host`, looked up now and checked (off the event
        loop); with `family`, the first address of that family."""
        found = await asyncio.to_thread(self.addresses, host, port, what=what)
        if family == socket.AF_INET:
            found = [address for address in found if isinstance(address, IPv4Address)]
        if not found:
            raise HostRefused(f"{what} {host!r} has no IPv4 address", details={"host": host})
        return str(found[0])

    def plain_http_allowed(self, host: str) -> bool:
        return self.on_allowlist(host)

    def on_allowlist(self, host: str) -> bool:
        """Whether `host` is on the allowlist: by name, or as an address literal inside an
        allowed network (a public host is not, by being public)."""
        literal = parse_address(host)
        if literal is None:
            return self.allowlist.allows_name(host)
        return any(literal in network for network in self.allowlist.networks)


class _NotLookedUpYet(BaseException):
    """A name a check needs inside a write transaction, not looked up yet. A BaseException, so
    that no `except Exception` on its way out takes it for the command's own failure."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.key = (host, port)


# What a name resolved to, looked up outside any transaction; None: it resolved to nothing.
_Answers = dict[tuple[str, int], tuple[str, ...] | None]


def looked_up_first(policy: HostPolicy, work: Callable[[HostPolicy], T]) -> T:
    """`work(policy)`, where `work` opens a write transaction and checks hosts inside it, with
    no DNS lookup made while that transaction is open.

    On SQLite a write transaction holds the database's only write lock: a provider host or a
    calendar's address looked up inside one (a resolver that times out takes 5 s and more) held
    up every call being placed, every claim and every webhook for as long. Here the first name
    the check needs ends the attempt, rolled back before anything was written; the name is
    looked up outside, and `work` runs again with the answer at hand, once more for each new
    name it needs (one or two)."""
    answers: _Answers = {}
    while True:
        try:
            return work(replace(policy, resolver=_answering_from(answers)))
        except _NotLookedUpYet as missing:
            if missing.key in answers:
                raise RuntimeError(f"{missing.key[0]} was looked up and asked for again") from None
            answers[missing.key] = _look_up(policy.resolver, *missing.key)


def _look_up(resolver: Resolver, host: str, port: int) -> tuple[str, ...] | None:
    try:
        return tuple(resolver(host, port))
    except (OSError, UnicodeError, ValueError):
        return None


def _answering_from(answers: _Answers) -> Resolver:
    def resolver(host: str, port: int) -> Sequence[str]:
        if (host, port) not in answers:
            raise _NotLookedUpYet(host, port)
        found = answers[(host, port)]
        if found is None:
            raise OSError(f"{host} resolves to nothing")
        return found

    return resolver


class PublicHostsTransport(httpx.AsyncBaseTransport):
    """An httpx transport for an organization's REST provider: each request's host is looked
    up and checked by the policy, and the request goes to that address with the URL's host
    kept in the Host header and in TLS (SNI and certificate check). A refused host fails as a
    connection that could not be made (`httpx.ConnectError`).

    Each request has a connection pool of its own, closed with its response: the provider
    hands this transport to a new client per request, which closes it on the way out while
    another call of the same account may still be using it."""

    def __init__(self, policy: HostPolicy, *, verify: ssl.SSLContext | None = None) -> None:
        self.policy = policy
        # Which certificates to trust: the system's (httpx's default) unless given.
        self._tls = verify

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        try:
            if url.scheme != "https" and not self.policy.plain_http_allowed(url.host):
                raise HostRefused("provider URLs must be https", details={"host": url.host})
            port = url.port or (443 if url.scheme == "https" else 80)
            address = await self.policy.address_for(url.host, port, what="provider host")
        except HostRefused as refused:
            raise httpx.ConnectError(refused.message, request=request) from refused
        routed = httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=request.headers,  # Host: still the name in the URL
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": url.host},
        )
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        pool = httpx.AsyncHTTPTransport(verify=self._tls)
        try:
            response = await pool.handle_async_request(routed)
        except BaseException:
            await pool.aclose()
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):
            await pool.aclose()
            raise httpx.ProtocolError("expected an asynchronous response body", request=request)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_ClosingPool(response.stream, pool),
            extensions=response.extensions,
        )


class _ClosingPool(httpx.AsyncByteStream):
    """A response body that closes its request's connection pool when it is closed."""

    def __init__(self, body: httpx.AsyncByteStream, pool: httpx.AsyncHTTPTransport) -> None:
        self._body = body
        self._pool = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._body:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._body.aclose()
        finally:
            await self._pool.aclose()
