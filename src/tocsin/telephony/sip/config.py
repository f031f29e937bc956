"""Settings for one SIP trunk."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Literal

from tocsin.telephony.hosts import HostPolicy
from tocsin.telephony.sip.headers import check_well_formed

Transport = Literal["udp", "tcp", "tls"]
Codec = Literal["PCMU", "PCMA"]


@dataclass(frozen=True)
class SipTrunkConfig:
    """Where and how to send calls.

    IP-authenticated trunks need no username/password and no REGISTER; credentials are used
    only to answer 401/407 challenges. `extra_headers` go on every INVITE: for an
    organization's trunk (`hosts` set) only those `sip.headers` allows (names starting X-),
    for the operator's own all of them. With `hosts`, the trunk and every host a
    redirect names are looked up and checked by that policy before anything is sent (an
    organization's trunk); without it, any host is reached (the operator's own).
    """

    host: str
    port: int = 5060
    transport: Transport = "udp"
    username: str | None = None
    password: str | None = None
    from_domain: str | None = None
    caller_id: str = "anonymous"
    extra_headers: dict[str, str] = field(default_factory=dict)
    local_host: str = "0.0.0.0"  # noqa: S104 - the trunk decides who may reach us
    # The address written into Via/Contact/SDP; defaults to the socket's own address.
    advertised_host: str | None = None
    local_sip_port: int = 0
    rtp_port_range: tuple[int, int] | None = None
    ring_timeout: float = 45.0
    # How long an INVITE may go without any response before the trunk is taken for dead and
    # the call for not placed (RFC 3261 timer B, 64 * T1).
    invite_timeout: float = 32.0
    max_call_seconds: float = 120.0
    codecs: tuple[Codec, ...] = ("PCMU", "PCMA")
    register: bool = False
    tls_context: ssl.SSLContext | None = None
    user_agent: str = "Tocsin"
    hosts: HostPolicy | None = None

    def __post_init__(self) -> None:
        if self.transport not in ("udp", "tcp", "tls"):
            raise ValueError(f"unknown SIP transport {self.transport!r}")
        if not self.codecs or any(codec not in ("PCMU", "PCMA") for codec in self.codecs):
            raise ValueError("codecs must be a non-empty tuple of 'PCMU' and/or 'PCMA'")
        if min(self.ring_timeout, self.invite_timeout, self.max_call_seconds) <= 0:
            raise ValueError("ring_timeout, invite_timeout and max_call_seconds must be positive")
        if self.rtp_port_range is not None:
            low, high = self.rtp_port_range
            if not 0 < low <= high < 65536:
                raise ValueError("rtp_port_range must be (low, high) within 1..65535")
        for name, value in self.extra_headers.items():
            check_well_formed(name, value)

    @property
    def domain(self) -> str:
        return self.from_domain or self.host
