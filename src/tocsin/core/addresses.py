"""Whether an IP address is on the public internet, and the operator's allowlist of private
hosts that organizations' provider accounts may use anyway.

An organization names the hosts its provider accounts reach (a SIP trunk, a REST API's base
URL); the server then connects there. Were any address allowed, a customer could make the
server reach its own loopback, the private network or the cloud metadata service
(169.254.169.254). `is_public` is the rule; `tocsin.telephony.hosts` applies it after every
DNS lookup. Pure: no lookups here.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

# Never public, whatever the Python version's own tables say.
_NOT_PUBLIC: tuple[IPNetwork, ...] = tuple(
    ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network", and the unspecified address
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
# IPv6 forms that carry an IPv4 address, judged by the address they carry.
_NAT64 = ip_network("64:ff9b::/96")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4
    (2002:aabb:ccdd::) address reaches, else None."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a unicast address on the public internet: not private, loopback,
    link-local, unspecified, multicast, CGNAT, documentation or reserved, in either family,
    nor an IPv6 form of such an IPv4 address."""
    if isinstance(address, IPv6Address):
        if address.scope_id:
            return False
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
    if any(address in network for network in _NOT_PUBLIC):
        return False
    return address.is_global and not address.is_multicast


def parse_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one literally (brackets allowed for IPv6), else
    None. Shorthand forms that resolvers accept (`2130706433`, `127.1`, `0x7f.1`) are not
    literals here; they go through the resolver, whose answer is then judged."""
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class HostAllowlist:
    """Hosts an operator lets organizations' provider accounts reach although they are not
    public: exact host names (any address they resolve to is allowed) and networks (an
    address in one is allowed, whatever name led there)."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> HostAllowlist:
        """From a comma-separated list of host names, addresses and CIDR networks
        (`sip.lan, 10.20.0.0/16, fd00::/8`); ValueError naming an entry that is neither."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            if "/" in entry or parse_address(entry) is not None:
                try:
                    networks.append(ip_network(entry.strip("[]"), strict=False))
                except ValueError as error:
                    raise ValueError(f"provider host allowlist: {entry!r}: {error}") from error
            elif _is_host_name(entry):
                names.add(entry.lower().rstrip("."))
            else:
                raise ValueError(f"provider host allowlist: {entry!r} is not a host name or CIDR")
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Public, or in one of the allowed networks."""
        if is_public(address):
            return True
        if isinstance(address, IPv6Address) and (embedded := embedded_ipv4(address)):
            address = embedded
        return any(address in network for network in self.networks)


def _is_host_name(text: str) -> bool:
    labels = text.rstrip(".").split(".")
    return all(
        0 < len(label) <= 63
        and label.replace("-", "").isalnum()
        and label.isascii()
        and not label.startswith("-")
        for label in labels
    )
