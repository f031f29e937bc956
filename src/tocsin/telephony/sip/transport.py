"""One SIP connection to the trunk, shared by every call of a provider.

UDP uses one socket; TCP and TLS one stream. Incoming messages are handed to the call that
owns their Call-ID; a request for an unknown call gets 481. Over UDP a message may go to
another host than the trunk (a call redirected there), and a response goes back to where its
request came from.

With a host policy (an organization's trunk, `SipTrunkConfig.hosts`), the trunk and every host
a redirect names are looked up and checked before anything is sent, and the socket talks to
the address that was checked; a refused host is a trunk that cannot be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

from tocsin.telephony.hosts import HostRefused
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.datagrams import Address, Datagrams
from tocsin.telephony.sip.message import SipMessage, SipParseError, parse, response_to, split_stream

logger = logging.getLogger(__name__)

MessageHandler = Callable[[SipMessage], None]
UDP_RECEIVE_BUFFER = 1 << 20  # the kernel caps it at net.core.rmem_max


class TransportError(OSError):
    """The trunk cannot be reached; nothing was sent."""


class SipTransport:
    def __init__(self, config: SipTrunkConfig) -> None:
        self.config = config
        self.reliable = config.transport != "udp"
        self.local_host = ""
        self.local_port = 0
        self._handlers: dict[str, MessageHandler] = {}
        self._udp: asyncio.DatagramTransport | None = None
        self._datagrams: Datagrams | None = None
        self._closed = False
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._trunk_address: Address = (config.host, config.port)

    @property
    def via_transport(self) -> str:
        return self.config.transport.upper()

    @property
    def is_open(self) -> bool:
        return self._udp is not None or (self._writer is not None and not self._writer.is_closing())

    async def ensure_open(self) -> None:
        """Open the socket or connection if it is not (or no longer) open; never again once
        closed."""
        async with self._lock:
            if self._closed:
                raise TransportError("the SIP transport is closed")
            if self.is_open:
                return
            try:
                await self._open()
            except OSError as error:
                raise TransportError(str(error)) from error

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        config = self.config
        if config.transport == "udp":
            # Resolve the trunk once: sendto() with a host name would look it up on every send,
            # blocking the event loop.
            self._trunk_address = await self._ipv4_address(config.host, config.port)
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            # Many calls answered at once send a burst of 100/180/200s; the default buffer
            # (about 90 small datagrams on Linux) drops some, and each loss costs a retransmit.
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
                sock.bind((config.local_host, config.local_sip_port))
            except OSError:
                sock.close()
                raise
            transport, self._datagrams = await loop.create_datagram_endpoint(
                lambda: Datagrams(self._received), sock=sock
            )
            self._udp = transport
            self.local_host, self.local_port = transport.get_extra_info("sockname")[:2]
        else:
            reader, writer = await asyncio.open_connection(
                await self._checked_host(config.host, config.port),
                config.port,
                ssl=config.tls_context if config.transport == "tls" else None,
                server_hostname=config.host if config.transport == "tls" else None,
            )
            self._writer = writer
            self.local_host, self.local_port = writer.get_extra_info("sockname")[:2]
            self._reader_task = asyncio.create_task(self._read_stream(reader))
        if self.local_host in ("0.0.0.0", ""):  # noqa: S104 - a wildcard bind
            self.local_host = _route_address(self._trunk_address[0], config.port)
        if config.advertised_host:
            self.local_host = config.advertised_host

    async def _read_stream(self, reader: asyncio.StreamReader) -> None:
        buffer = b""
        try:
            while chunk := await reader.read(65536):
                buffer += chunk
                while True:
                    message, buffer = split_stream(buffer)
                    if message is None:
                        break
                    self._received(message)
        except (OSError, SipParseError) as error:
            logger.warning("SIP stream to %s closed: %s", self.config.host, error)
        finally:
            if self._writer is not None:
                self._writer.close()

    def register(self, call_id: str, handler: MessageHandler) -> None:
        self._handlers[call_id] = handler

    def unregister(self, call_id: str) -> None:
        self._handlers.pop(call_id, None)

    def send(self, message: SipMessage, to: Address | None = None) -> None:
        """Send to the trunk, or over UDP to `to` (an address `resolve` gave)."""
        data = message.encode()
        if self._udp is not None:
            self._udp.sendto(data, to or self._trunk_address)
        elif to is not None and to != self._trunk_address:
            raise TransportError("a TCP or TLS connection reaches the trunk only")
        elif self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)
        else:
            raise TransportError("the SIP connection to the trunk is closed")

    def reply(self, request: SipMessage, response: SipMessage) -> None:
        """Send a response where its request came from."""
        self.send(response, request.source)

    async def resolve(self, host: str, port: int) -> Address:
        """Where to send for `host`:`port`: over UDP any host (its IPv4 address, looked up off
        the event loop); over TCP or TLS only the trunk, the one host the connection reaches."""
        if self.reliable:
            if (host, port) != (self.config.host, self.config.port):
                raise TransportError(f"{host}:{port} is not the trunk")
            return self._trunk_address
        return await self._ipv4_address(host, port)

    async def _ipv4_address(self, host: str, port: int) -> Address:
        """Where UDP for `host` goes: its IPv4 address, looked up off the event loop and, with
        a host policy, allowed by it."""
        policy = self.config.hosts
        try:
            if policy is not None:
                found = await policy.address_for(host, port, what="SIP host", family=socket.AF_INET)
                return found, port
            addresses = await asyncio.get_running_loop().getaddrinfo(
                host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM
            )
        except HostRefused as refused:
            raise TransportError(refused.message) from refused
        except OSError as error:
            raise TransportError(f"cannot resolve {host}: {error}") from error
        return str(addresses[0][4][0]), port

    async def _checked_host(self, host: str, port: int) -> str:
        """What a TCP or TLS connection to the trunk dials: with a host policy, the address
        it allowed (TLS still checks the certificate against `host`); else the name."""
        if self.config.hosts is None:
            return host
        try:
            return await self.config.hosts.address_for(host, port, what="SIP host")
        except HostRefused as refused:
            raise TransportError(refused.message) from refused

    def _received(self, data: bytes, source: Address | None = None) -> None:
        if not data.strip():
            return  # keep-alive
        try:
            message = parse(data)
        except (SipParseError, ValueError) as error:
            logger.debug("unreadable SIP message dropped: %s", error)
            return
        message.source = source
        handler = self._handlers.get(message.call_id)
        if handler is not None:
            handler(message)
        elif message.is_request and message.method != "ACK":
            with contextlib.suppress(TransportError):
                self.reply(message, response_to(message, 481, "Call/Transaction Does Not Exist"))

    async def close(self) -> None:
        """Close the socket or connection for good, and wait until it is; idempotent."""
        self._closed = True
        if self._udp is not None and self._datagrams is not None:
            self._udp.close()
            await self._datagrams.closed
            self._udp = self._datagrams = None
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            await asyncio.gather(self._reader_task, return_exceptions=True)
            self._reader_task = None


def _route_address(host: str, port: int) -> str:
    """The local address the kernel would use to reach the trunk (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((host, port))
        address: str = probe.getsockname()[0]
        return address
