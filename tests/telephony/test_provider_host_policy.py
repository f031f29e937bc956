"""The host policy of organizations' provider accounts (issue 16, finding 1; issue 17, item 5):
hosts resolve only to allowed addresses, checked on every request, and the request goes to
the address checked, with the URL's name kept in the Host header and in TLS."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.telephony.rest.fakes import serve
from tocsin.core.addresses import HostAllowlist
from tocsin.telephony.hosts import HostPolicy, HostRefused, PublicHostsTransport


class Answers:
    """A resolver whose answers a test sets, counting the lookups."""

    def __init__(self, **answers: list[str]) -> None:
        self.answers = {name.replace("_", "."): found for name, found in answers.items()}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError("no such host")
        return self.answers[host]


@pytest.fixture
def recorder() -> Iterator[tuple[list[dict[str, str]], int]]:
    seen: list[dict[str, str]] = []

    async def anything(request: Request) -> Response:
        seen.append(dict(request.headers))
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    with serve(app) as url:
        yield seen, int(url.rsplit(":", 1)[1])


def refusal(policy: HostPolicy, host: str) -> str:
    with pytest.raises(HostRefused) as raised:
        policy.addresses(host, 443, what="host")
    assert raised.value.code == "provider_host_not_allowed"
    assert raised.value.status_code == 422
    return raised.value.message


def test_a_name_is_allowed_only_when_every_address_it_resolves_to_is_public() -> None:
    answers = Answers(
        api_example=["93.184.216.34", "2606:2800:220:1::1"],
        mixed_example=["93.184.216.34", "10.0.0.1"],
        metadata_example=["169.254.169.254"],
    )
    policy = HostPolicy(resolver=answers)
    assert [str(a) for a in policy.addresses("api.example", 443, what="host")] == [
        "93.184.216.34",
        "2606:2800:220:1::1",
    ]
    refusal(policy, "mixed.example")
    refusal(policy, "metadata.example")


def test_a_name_that_does_not_resolve_is_refused_in_the_same_words_as_a_private_one() -> None:
    policy = HostPolicy(resolver=Answers(private_example=["10.0.0.1"]))
    private = refusal(policy, "private.example").replace("private.example", "NAME")
    missing = refusal(policy, "missing.example").replace("missing.example", "NAME")
    assert private == missing


def test_the_allowlist_admits_names_and_networks() -> None:
    answers = Answers(sip_lan=["10.9.9.9"], other_lan=["10.9.9.9"], lab_lan=["192.168.5.5"])
    policy = HostPolicy(HostAllowlist.parse("sip.lan,192.168.5.0/24"), resolver=answers)
    assert [str(a) for a in policy.addresses("sip.lan", 5060, what="host")] == ["10.9.9.9"]
    assert [str(a) for a in policy.addresses("lab.lan", 5060, what="host")] == ["192.168.5.5"]
    refusal(policy, "other.lan")
    refusal(policy, "192.168.6.1")


@pytest.mark.parametrize(
    ("url", "allowlist", "allowed"),
    [
        ("https://93.184.216.34/v1", "", True),
        ("http://93.184.216.34/v1", "", False),  # public, but plain http
        ("http://127.0.0.1:8000", "127.0.0.1", True),  # the operator's test double
        ("http://fake.lan:8000", "fake.lan", True),
        ("https://127.0.0.1:8000", "", False),
        ("ftp://93.184.216.34", "", False),
        ("https://", "", False),
        ("https://93.184.216.34:99999", "", False),  # a port that is not one
    ],
)
def test_urls(url: str, allowlist: str, allowed: bool) -> None:
    policy = HostPolicy(HostAllowlist.parse(allowlist), resolver=Answers(fake_lan=["10.0.0.1"]))
    if allowed:
        policy.check_url(url, what="api_base_url")
    else:
        with pytest.raises(HostRefused):
            policy.check_url(url, what="api_base_url")


def test_the_request_goes_to_the_checked_address_with_its_host_name_kept(
    recorder: tuple[list[dict[str, str]], int],
) -> None:
    seen, port = recorder
    answers = Answers(provider_lan=["127.0.0.1"])
    policy = HostPolicy(HostAllowlist.parse("provider.lan"), resolver=answers)

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=PublicHostsTransport(policy)) as client:
            return await client.post(f"http://provider.lan:{port}/calls", data={"To": "+1"})

    response = asyncio.run(scenario())
    assert (response.status_code, response.text) == (200, "hello")
    assert seen[0]["host"] == f"provider.lan:{port}"
    assert answers.lookups == ["provider.lan"]


def test_every_request_is_checked_again_so_rebinding_reaches_nothing(
    recorder: tuple[list[dict[str, str]], int],
) -> None:
    """DNS rebinding: allowed at one lookup, 127.0.0.1 at the next; the second request is
    refused as a connection that could not be made, and nothing reaches the server."""
    seen, port = recorder
    answers = Answers(api_rebind_test=["93.184.216.34"])
    policy = HostPolicy(resolver=answers)
    policy.check_url(f"https://api.rebind.test:{port}", what="api_base_url")

    answers.answers["api.rebind.test"] = ["127.0.0.1"]

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=PublicHostsTransport(policy)) as client:
            await client.post(f"https://api.rebind.test:{port}/calls")

    with pytest.raises(httpx.ConnectError):
        asyncio.run(scenario())
    assert answers.lookups == ["api.rebind.test", "api.rebind.test"]
    assert seen == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/",
        "https://localhost/",
        "http://93.184.216.34/",  # plain http
    ],
)
def test_a_refused_request_fails_as_unreachable(url: str) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(transport=PublicHostsTransport(HostPolicy())) as client:
            await client.get(url)

    with pytest.raises(httpx.ConnectError):
        asyncio.run(scenario())


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_tls_checks_the_certificate_of_the_name_while_connecting_to_the_address(
    tmp_path: Path,
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=api.provider.lan"),
            *("-addext", "subjectAltName=DNS:api.provider.lan"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    requests: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    policy = HostPolicy(
        HostAllowlist.parse("127.0.0.1"), resolver=Answers(api_provider_lan=["127.0.0.1"])
    )

    async def scenario() -> httpx.Response:
        server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
        port = server.sockets[0].getsockname()[1]
        transport = PublicHostsTransport(policy, verify=ssl.create_default_context(cafile=cert))
        try:
            async with httpx.AsyncClient(transport=transport) as client:
                return await client.get(f"https://api.provider.lan:{port}/v1")
        finally:
            server.close()
            await server.wait_closed()

    response = asyncio.run(scenario())
    assert response.text == "ok"
    assert names == ["api.provider.lan"]
    assert b"\r\nHost: api.provider.lan:" in requests[0]
