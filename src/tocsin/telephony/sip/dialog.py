"""The requests of one call: INVITE, the ACKs, CANCEL and in-dialog requests (RFC 3261).

A Dialog holds what every request of a call shares (Call-ID, From tag, CSeq) and, once the
call is answered, what the answer fixed (the callee's tag, its Contact and the route set).
"""

from __future__ import annotations

import logging

from tocsin.telephony.base import CallRequest
from tocsin.telephony.sip import digest, headers
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.datagrams import Address
from tocsin.telephony.sip.message import SipMessage, new_branch, new_tag, uri_of
from tocsin.telephony.sip.transport import SipTransport

logger = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"
SUPPORTED = "timer"


def challenge_answer(
    challenge: SipMessage, config: SipTrunkConfig, *, method: str, uri: str
) -> tuple[str, str] | None:
    """The (Proxy-)Authorization header answering a 401/407, or None if we cannot."""
    proxy = challenge.status == 407
    header = challenge.get("Proxy-Authenticate" if proxy else "WWW-Authenticate")
    if header is None or config.username is None or config.password is None:
        return None
    try:
        parsed = digest.parse_challenge(header)
    except digest.DigestError as error:
        logger.warning("cannot answer SIP challenge: %s", error)
        return None
    value = digest.authorization(
        parsed, username=config.username, password=config.password, method=method, uri=uri
    )
    return ("Proxy-Authorization" if proxy else "Authorization", value)


class Dialog:
    def __init__(
        self,
        config: SipTrunkConfig,
        transport: SipTransport,
        request: CallRequest,
        call_id: str,
    ) -> None:
        self.config = config
        self.transport = transport
        self.request = request
        self.call_id = call_id
        self.cseq = 0
        self.from_tag = new_tag()
        self.to_header = ""
        self.remote_target = ""
        self.route: list[str] = []
        # The methods the far end allows, from its 2xx (empty when it did not say).
        self.allowed: frozenset[str] = frozenset()
        # Where every request of the call goes: None for the trunk, else the address a
        # redirect sent the call to (the dialog stays with the host that answered it).
        self.hop: Address | None = None

    def request_uri(self, user: str) -> str:
        config = self.config
        params = "" if config.transport == "udp" else f";transport={config.transport}"
        return f"sip:{user}@{config.host}:{config.port}{params}"

    def invite(
        self,
        target: str,
        authorization: tuple[str, str] | None,
        offer: bytes,
        session_expires: int | None = None,
    ) -> SipMessage:
        """A new INVITE (with the next CSeq) carrying caller ID, attempt key and extra headers.
        We support session timers without asking for one, unless a 422 asked us to ask for
        `session_expires` (RFC 4028 7.1, 8.1)."""
        config, caller = self.config, self._caller()
        self.cseq += 1
        invite = self._request("INVITE", target, new_branch())
        invite.add("To", f"<sip:{self.request.to_number}@{config.domain}>")
        invite.add("Call-ID", self.call_id)
        invite.add("CSeq", f"{self.cseq} INVITE")
        invite.add("Contact", self.contact())
        invite.add("P-Asserted-Identity", f"<sip:{caller}@{config.domain}>")
        invite.add("Allow", ALLOW)
        invite.add("Supported", SUPPORTED)
        if session_expires is not None:
            invite.add("Session-Expires", str(session_expires))
            invite.add("Min-SE", str(session_expires))
        invite.add("User-Agent", config.user_agent)
        invite.add("X-Tocsin-Attempt", self.request.idempotency_key)
        # The allowlist is for an organization's headers; the operator's own trunk (no host
        # policy) sends what its carrier requires, an Identity header say.
        extra = (
            config.extra_headers.items()
            if config.hosts is None
            else headers.allowed(config.extra_headers)
        )
        for name, value in extra:
            invite.add(name, value)
        if authorization is not None:
            invite.add(*authorization)
        invite.add("Content-Type", "application/sdp")
        invite.body = offer
        return invite

    def failure_ack(self, invite: SipMessage, response: SipMessage) -> SipMessage:
        """ACK for a non-2xx final response: part of the INVITE transaction (17.1.1.3)."""
        return self._same_transaction("ACK", invite, response.get("To") or "")

    def cancel(self, invite: SipMessage) -> SipMessage:
        return self._same_transaction("CANCEL", invite, invite.get("To") or "")

    def confirm(self, answer: SipMessage, invite: SipMessage) -> None:
        """Fix the dialog from the 2xx: callee tag, remote target and route set (12.1.2)."""
        self.to_header = answer.get("To") or ""
        contact = answer.get("Contact")
        self.remote_target = uri_of(contact) if contact else invite.uri
        self.route = list(reversed(answer.get_all("Record-Route")))
        self.allowed = frozenset(
            method.strip().upper()
            for value in answer.get_all("Allow")
            for method in value.split(",")
            if method.strip()
        )

    def ack(self, cseq: int) -> SipMessage:
        """ACK for a 2xx to the INVITE with CSeq `cseq`: a request of its own (13.2.2.4)."""
        return self._in_dialog("ACK", cseq)

    def bye(self) -> SipMessage:
        return self.next_request("BYE")

    def next_request(self, method: str) -> SipMessage:
        """A new request in the dialog, with the next CSeq; a re-INVITE or UPDATE also
        carries our Contact, Allow and Supported (RFC 3261 14.1, RFC 3311 5.1)."""
        self.cseq += 1
        request = self._in_dialog(method, self.cseq)
        if method in ("INVITE", "UPDATE"):
            request.add("Contact", self.contact())
            request.add("Allow", ALLOW)
            request.add("Supported", SUPPORTED)
        return request

    def _in_dialog(self, method: str, cseq: int) -> SipMessage:
        request = SipMessage(method=method, uri=self.remote_target)
        request.add("Via", self._via(new_branch()))
        request.add("Max-Forwards", "70")
        for route in self.route:
            request.add("Route", route)
        request.add("From", self._from_header())
        request.add("To", self.to_header)
        request.add("Call-ID", self.call_id)
        request.add("CSeq", f"{cseq} {method}")
        return request

    def _same_transaction(self, method: str, invite: SipMessage, to: str) -> SipMessage:
        request = SipMessage(method=method, uri=invite.uri)
        request.add("Via", invite.get("Via") or "")
        request.add("Max-Forwards", "70")
        request.add("From", invite.get("From") or "")
        request.add("To", to)
        request.add("Call-ID", self.call_id)
        request.add("CSeq", f"{invite.cseq[0]} {method}")
        return request

    def _request(self, method: str, uri: str, branch: str) -> SipMessage:
        request = SipMessage(method=method, uri=uri)
        request.add("Via", self._via(branch))
        request.add("Max-Forwards", "70")
        request.add("From", self._from_header())
        return request

    def _via(self, branch: str) -> str:
        transport = self.transport
        return (
            f"SIP/2.0/{transport.via_transport} {transport.local_host}:{transport.local_port}"
            f";branch={branch};rport"
        )

    def contact(self) -> str:
        """Our Contact: where the far end sends requests in the dialog."""
        transport, config = self.transport, self.config
        params = "" if config.transport == "udp" else f";transport={config.transport}"
        return f"<sip:tocsin@{transport.local_host}:{transport.local_port}{params}>"

    def _caller(self) -> str:
        return self.request.caller_id or self.config.caller_id

    def _from_header(self) -> str:
        caller = self._caller()
        return f'"{caller}" <sip:{caller}@{self.config.domain}>;tag={self.from_tag}'
