"""Which addresses are public, and the operator's allowlist (issue 16, finding 1; issue 17,
item 5): the table behind every check of an organization's provider hosts."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from tocsin.core.addresses import HostAllowlist, is_public, parse_address

NOT_PUBLIC = [
    # IPv4
    "0.0.0.0",  # noqa: S104 - the unspecified address, as data
    "0.1.2.3",  # "this network"
    "10.0.0.1",  # RFC 1918
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "127.0.0.1",  # loopback
    "127.255.255.254",
    "169.254.169.254",  # link-local: cloud metadata
    "169.254.0.1",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "192.0.0.8",  # IETF assignments
    "192.0.2.1",  # documentation
    "198.51.100.1",
    "203.0.113.1",
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    # IPv6
    "::",  # unspecified
    "::1",  # loopback
    "fe80::1",  # link-local
    "fe80::1%1",  # with a zone
    "fc00::1",  # unique local
    "fd12:3456:789a::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "2001:db8::1",  # documentation
    "100::1",  # discard
    "2001::1",  # Teredo
    "::ffff:127.0.0.1",  # IPv4-mapped forms of private addresses
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::ffff:0:0",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
]
PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "172.15.255.255",  # just outside 172.16/12
    "172.32.0.1",
    "100.63.255.255",  # just outside CGNAT
    "100.128.0.1",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_not_public(address: str) -> None:
    assert not is_public(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public(address: str) -> None:
    assert is_public(ip_address(address))


@pytest.mark.parametrize(
    ("host", "literal"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("api.twilio.com", None),
        ("2130706433", None),  # a resolver's shorthand: judged after resolution
        ("localhost", None),
    ],
)
def test_literal_addresses(host: str, literal: str | None) -> None:
    parsed = parse_address(host)
    assert (str(parsed) if parsed is not None else None) == literal


def test_the_allowlist_reads_names_addresses_and_networks() -> None:
    allowlist = HostAllowlist.parse(" sip.lan, 10.20.0.0/16 ,127.0.0.1,fd00::/8,Fake.Test. ,")
    assert allowlist.names == frozenset({"sip.lan", "fake.test"})
    assert allowlist.networks == (
        ip_network("10.20.0.0/16"),
        ip_network("127.0.0.1/32"),
        ip_network("fd00::/8"),
    )
    assert allowlist.allows_name("SIP.LAN.")
    assert not allowlist.allows_name("other.lan")
    assert allowlist.allows_address(ip_address("10.20.3.4"))
    assert allowlist.allows_address(ip_address("::ffff:10.20.3.4"))
    assert allowlist.allows_address(ip_address("fd00::5"))
    assert allowlist.allows_address(ip_address("8.8.8.8"))  # public needs no entry
    assert not allowlist.allows_address(ip_address("10.21.0.1"))
    assert not allowlist.allows_address(ip_address("127.0.0.2"))
    assert not allowlist.allows_address(ip_address("169.254.169.254"))


def test_an_empty_allowlist_allows_only_public_addresses() -> None:
    allowlist = HostAllowlist.parse("")
    assert allowlist == HostAllowlist()
    assert not allowlist.allows_address(ip_address("127.0.0.1"))
    assert allowlist.allows_address(ip_address("1.1.1.1"))


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "bad_name.example", "-x.lan"])
def test_a_bad_allowlist_entry_is_named(entry: str) -> None:
    with pytest.raises(ValueError, match="provider host allowlist"):
        HostAllowlist.parse(f"sip.lan,{entry}")
