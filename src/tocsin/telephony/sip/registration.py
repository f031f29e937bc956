"""REGISTER (RFC 3261 section 10) for trunks that want one: bind our Contact, keep it fresh.

IP-authenticated trunks need none of this (`SipTrunkConfig.register` False). The binding is
refreshed at 80% of the lifetime the registrar granted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.dialog import challenge_answer
from tocsin.telephony.sip.message import SipMessage, header_param, new_branch, new_tag
from tocsin.telephony.sip.transport import SipTransport

logger = logging.getLogger(__name__)

REQUESTED_EXPIRES = 3600
T1 = 0.5
T2 = 4.0
TIMEOUT = 8.0


class RegistrationError(Exception):
    """The registrar refused us, or did not answer."""


class Registration:
    def __init__(self, config: SipTrunkConfig, transport: SipTransport) -> None:
        self.config = config
        self.transport = transport
        self.call_id = f"{secrets.token_hex(12)}@tocsin"
        self.expires = 0
        self._tag = new_tag()
        self._cseq = 0
        self._responses: asyncio.Queue[SipMessage] = asyncio.Queue()
        self._refresh: asyncio.Task[None] | None = None

    async def register(self, expires: int = REQUESTED_EXPIRES) -> int:
        """Send REGISTER (answering one digest challenge); the lifetime granted, in seconds."""
        self.transport.register(self.call_id, self._responses.put_nowait)
        response = await self._send(self._request(expires, None))
        if response.status in (401, 407):
            authorization = challenge_answer(
                response, self.config, method="REGISTER", uri=f"sip:{self.config.domain}"
            )
            if authorization is None:
                raise RegistrationError(f"registrar challenged us: {response.status}")
            response = await self._send(self._request(expires, authorization))
        if not 200 <= response.status < 300:
            raise RegistrationError(f"registrar answered {response.status} {response.reason}")
        self.expires = _granted(response, expires)
        if expires and self._refresh is None:
            self._refresh = asyncio.create_task(self._keep_fresh())
        return self.expires

    async def close(self) -> None:
        """Stop refreshing and remove the binding (best effort)."""
        if self._refresh is not None:
            self._refresh.cancel()
            await asyncio.gather(self._refresh, return_exceptions=True)
            self._refresh = None
        if self.expires:
            with contextlib.suppress(RegistrationError, OSError):
                await self.register(expires=0)
            self.expires = 0  # removed, or as good as: never again
        self.transport.unregister(self.call_id)

    async def _keep_fresh(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.expires * 0.8))
            try:
                await self.register(self.expires or REQUESTED_EXPIRES)
            except (RegistrationError, OSError) as error:
                logger.warning("SIP registration refresh failed: %s", error)

    async def _send(self, request: SipMessage) -> SipMessage:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + TIMEOUT
        interval = T1
        self.transport.send(request)
        while (remaining := give_up_at - loop.time()) > 0:
            wait = remaining if self.transport.reliable else min(interval, remaining)
            try:
                response = await asyncio.wait_for(self._responses.get(), wait)
            except TimeoutError:
                if not self.transport.reliable:
                    self.transport.send(request)
                    interval = min(interval * 2, T2)
                continue
            if response.cseq == request.cseq and response.status >= 200:
                return response
        raise RegistrationError("the registrar did not answer REGISTER")

    def _request(self, expires: int, authorization: tuple[str, str] | None) -> SipMessage:
        config, transport = self.config, self.transport
        self._cseq += 1
        address = f"sip:{config.username or config.caller_id}@{config.domain}"
        params = "" if config.transport == "udp" else f";transport={config.transport}"
        request = SipMessage(method="REGISTER", uri=f"sip:{config.domain}")
        request.add(
            "Via",
            f"SIP/2.0/{transport.via_transport} {transport.local_host}:{transport.local_port}"
            f";branch={new_branch()};rport",
        )
        request.add("Max-Forwards", "70")
        request.add("From", f"<{address}>;tag={self._tag}")
        request.add("To", f"<{address}>")
        request.add("Call-ID", self.call_id)
        request.add("CSeq", f"{self._cseq} REGISTER")
        request.add(
            "Contact",
            f"<sip:{config.username or 'tocsin'}@{transport.local_host}:{transport.local_port}"
            f"{params}>",
        )
        request.add("Expires", str(expires))
        request.add("User-Agent", config.user_agent)
        if authorization is not None:
            request.add(*authorization)
        return request


def _granted(response: SipMessage, requested: int) -> int:
    """The binding's lifetime: the Contact's expires parameter, else Expires, else ours."""
    contact = response.get("Contact")
    if contact:
        value = header_param(contact, "expires")
        if value and value.isdecimal():
            return int(value)
    expires = response.get("Expires")
    return int(expires) if expires and expires.isdecimal() else requested
