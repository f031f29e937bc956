"""Issue 16, finding 1: an organization's SIP `extra_headers` could carry P-Asserted-Identity
or Remote-Party-ID, and the trunk saw whatever number the customer wrote there. Only harmless
headers (names starting X-) are taken: others are refused when the account is saved and left
out of the INVITE of an account saved before the rule."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.factories import ok
from tests.telephony.sip.sipp import HOST, requires_sipp, sipp_uas
from tocsin.core.clock import SystemClock
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallRequest
from tocsin.telephony.factory import BuildContext, ProviderConfigError, ProviderFactory
from tocsin.telephony.hosts import HostPolicy
from tocsin.telephony.sip.builder import register_sip_provider
from tocsin.telephony.sip.config import SipTrunkConfig
from tocsin.telephony.sip.dialog import Dialog

SPOOFED = "<sip:+12024561111@x>"


def sip_settings(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "host": HOST,
        "port": port,
        "advertised_host": HOST,
        "caller_id": "+447400000001",
        "max_call_seconds": 10,
        **extra,
    }


def save(client: TestClient, tenant: seeded.Tenant, settings: dict[str, Any]) -> Any:
    """Save a trunk whose caller_id names the organization's proven caller ID."""
    rows.proven_caller_id(client.app.state.runtime, tenant.org_id)  # type: ignore[attr-defined]
    return client.post(
        f"/v1/orgs/{tenant.org_id}/providers",
        json={"kind": "sip", "name": "Our trunk", "settings": settings},
        headers=tenant.auth,
    )


@pytest.mark.parametrize(
    "header",
    [
        "P-Asserted-Identity",
        "p-asserted-identity",
        "Remote-Party-ID",
        "P-Preferred-Identity",
        "Privacy",
        "Identity",
        "From",
        "Via",
        "Contact",
        "Route",
        "Diversion",
        "History-Info",
        "Content-Type",
        "Max-Forwards",
        "X-Tocsin-Attempt",
    ],
)
def test_identity_and_routing_headers_are_refused_when_saved(
    client: TestClient, runtime: Runtime, header: str
) -> None:
    """Issue 16, finding 1: P-Asserted-Identity and friends were saved and sent."""
    tenant = seeded.tenant(runtime)
    response = save(client, tenant, sip_settings(5060, extra_headers={header: SPOOFED}))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "sip_header_not_allowed"
    assert header in error["message"]
    assert error["details"] == {"header": header}


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Bad\r\nFrom", "x"),
        ("X-Ok", "a\r\nP-Asserted-Identity: <sip:+12024561111@x>"),
        ("X-Ok", "a\nb"),
        ("X Space", "x"),
        ("X-Colon:", "x"),
        ("X-(paren)", "x"),
        ("X-Ünicode", "x"),
    ],
)
def test_line_breaks_and_non_token_names_are_refused(
    client: TestClient, runtime: Runtime, header: str, value: str
) -> None:
    tenant = seeded.tenant(runtime)
    response = save(client, tenant, sip_settings(5060, extra_headers={header: value}))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "sip_header_not_allowed"


def test_a_nul_in_a_header_value_is_refused_before_any_setting_is_read(
    client: TestClient, runtime: Runtime
) -> None:
    """The API refuses a NUL anywhere in a JSON body (it cannot be stored on PostgreSQL)."""
    tenant = seeded.tenant(runtime)
    response = save(client, tenant, sip_settings(5060, extra_headers={"X-Ok": "nul\x00"}))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unstorable_text"


def test_x_headers_are_saved(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    settings = sip_settings(5060, extra_headers={"X-Customer-Ref": "ops team; tier=1 <a@b>"})
    ok(save(client, tenant, settings), 201)


@requires_sipp
def test_an_account_saved_before_the_rule_sends_no_identity_header(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    """Issue 16, finding 1: a captured INVITE carried the customer's +1 202 456 1111."""
    tenant = seeded.tenant(runtime)
    with sipp_uas("busy.xml", tmp_path, rtp_echo=False) as sipp:
        account_id = rows.provider_account(
            runtime, tenant.org_id, "sip", settings=sip_settings(sipp.sip_port)
        )
        # Written as the API wrote it before headers were checked.
        with runtime.database.write() as session:
            account = session.get(ProviderAccount, account_id)
            assert account is not None
            account.settings = sip_settings(
                sipp.sip_port,
                extra_headers={
                    "P-Asserted-Identity": SPOOFED,
                    "Remote-Party-ID": f"{SPOOFED};party=calling;screen=yes",
                    "X-Customer-Ref": "kept",
                },
            )
        ok(
            client.post(
                f"/v1/hooks/{tenant.endpoint_id}",
                json={"title": "Disk full on db1", "severity": "critical"},
                headers=tenant.alert_key,
            ),
            202,
        )
        assert asyncio.run(runtime.build_worker().run_until_idle()) == 1
        assert sipp.wait() == 0, sipp.diagnostics()

    (invite,) = sipp.received("INVITE")
    assert "12024561111" not in invite
    assert "remote-party-id" not in invite.lower()
    assert invite.count("P-Asserted-Identity:") == 1  # ours, naming the caller ID
    assert "X-Customer-Ref: kept" in invite


@dataclass
class Unsent:
    """Where an INVITE would be sent from: enough to build one."""

    via_transport: str = "UDP"
    local_host: str = "192.0.2.1"
    local_port: int = 5060


def identity_sent(config: SipTrunkConfig) -> str | None:
    request = CallRequest("attempt-1", "+447400000009", "+447400000001", "Disk full")
    dialog = Dialog(config, Unsent(), request, "call-1")  # type: ignore[arg-type]
    return dialog.invite("sip:+447400000009@trunk.example", None, b"v=0\r\n").get("Identity")


def test_the_operators_trunk_keeps_the_headers_its_carrier_requires() -> None:
    """Issue 16, finding 4 (review): the allowlist is for customers' headers; the operator's
    own trunk (built with no host policy) lost the Identity header its carrier requires."""
    extra = {"Identity": "eyJhbGciOiJFUzI1NiJ9.signed;info=<https://cert.example/a.pem>"}
    operators = SipTrunkConfig(host="trunk.example", extra_headers=extra)
    assert identity_sent(operators) == extra["Identity"]
    customers = SipTrunkConfig(host="trunk.example", extra_headers=extra, hosts=HostPolicy())
    assert identity_sent(customers) is None


def test_the_operators_trunk_with_an_identity_header_passes_the_start_up_check() -> None:
    """The check run at start-up on the operator's providers (no host policy) refused the
    Identity header the build keeps, so such a trunk could not start at all; a customer's
    account is still refused it, and a line break is refused in either."""
    factory = ProviderFactory()
    register_sip_provider(factory)
    extra = {"Identity": "eyJhbGciOiJFUzI1NiJ9.signed;info=<https://cert.example/a.pem>"}
    settings = {"host": "trunk.example", "extra_headers": extra}
    operators = BuildContext(SystemClock(), Path("."), "http://127.0.0.1", hosts=None)
    factory.check("sip", settings, {}, operators)
    customers = BuildContext(SystemClock(), Path("."), "http://127.0.0.1", hosts=HostPolicy())
    with pytest.raises(ProviderConfigError) as refused:
        factory.check("sip", settings, {}, customers)
    assert refused.value.code == "sip_header_not_allowed"
    broken = {"host": "trunk.example", "extra_headers": {"Identity": "a\r\nVia: evil"}}
    with pytest.raises(ProviderConfigError):
        factory.check("sip", broken, {}, operators)
