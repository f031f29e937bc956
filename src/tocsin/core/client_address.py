"""The client's address, as every per-address rate limit and every recorded address sees it.

A proxy in front of Tocsin connects from its own address and names the client it passes a
request on for in a header: `X-Forwarded-For: client, proxy1` or
`Forwarded: for=client, for=proxy1`. Anyone can write those headers, so they are believed only
from the proxies the operator names (TOCSIN_TRUSTED_PROXIES, CIDRs), and only the one header
the operator's proxies set (TOCSIN_FORWARDED_HEADER); the other is ignored.

The chain is read from the right: the connection's peer first, then each address the proxies
added. The first address that is not a trusted proxy is the client; whatever is left of it was
written by the client itself and is ignored. With no trusted proxies, the client is the peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from enum import StrEnum

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Networks = tuple[Network, ...]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForwardedHeader(StrEnum):
    X_FORWARDED_FOR = "x-forwarded-for"
    FORWARDED = "forwarded"


def parse_networks(text: str) -> Networks:
    """`10.0.0.0/8, 192.168.1.7, ::1`: addresses or CIDRs, comma-separated; ValueError names
    the one that does not parse."""
    networks = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted proxy {item!r} is not an address or CIDR") from exc
    return tuple(networks)


def client_address(
    peer: str | None,
    header_values: Sequence[str],
    *,
    trusted: Networks,
    header: ForwardedHeader = ForwardedHeader.X_FORWARDED_FOR,
) -> str | None:
    """The client's address: `peer` is the connection's, `header_values` every value of the
    chosen header in the order received."""
    if peer is None or not trusted:
        return peer
    current = _address(peer)
    if current is None or not _is_trusted(current, trusted):
        return peer
    hops = [hop for value in header_values for hop in _hops(value, header)]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not an address where a trusted proxy wrote one: the nearest address known.
            return str(current)
        current = address
        if not _is_trusted(current, trusted):
            return str(current)
    # Every hop is a proxy of ours: the furthest is the best there is.
    return str(current)


def _is_trusted(address: Address, trusted: Networks) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _hops(value: str, header: ForwardedHeader) -> list[str]:
    if header == ForwardedHeader.X_FORWARDED_FOR:
        return [part.strip() for part in value.split(",")]
    hops = []
    for element in value.split(","):
        found = ""
        for pair in element.split(";"):
            name, _, given = pair.strip().partition("=")
            if name.strip().lower() == "for":
                found = given.strip().strip('"')
        hops.append(found)
    return hops


def _address(text: str) -> Address | None:
    """An address from a hop as proxies write it: bare, `[v6]:port`, or `v4:port`."""
    value = text.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
