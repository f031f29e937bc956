"""3xx redirects: followed (at most twice) only where the call request allows the number the
redirect names, and then to the Contact's own host and port, not back through the trunk."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from tests.telephony.sip.calls import (
    answering,
    fake_speech,
    kinds,
    place_call,
    refusing,
    request,
    trunk,
)
from tests.telephony.sip.sipp import HOST, requires_sipp, sipp_uas
from tocsin.core.addresses import HostAllowlist
from tocsin.telephony.base import CallEventKind, CallRequest, ProviderError
from tocsin.telephony.hosts import HostPolicy
from tocsin.telephony.sip import SipTrunkConfig, SipTrunkProvider
from tocsin.telephony.sip.redirect import contact_number

pytestmark = requires_sipp


def allowing(asked: list[str], *, allow: bool = True) -> CallRequest:
    """The call request, with a redirect callback that notes each number it is asked about."""

    def allowed(number: str) -> bool:
        asked.append(number)
        return allow

    return replace(request(), redirect_allowed=allowed)


def test_a_redirect_to_another_host_is_followed_there(tmp_path: Path) -> None:
    (tmp_path / "trunk").mkdir()
    (tmp_path / "elsewhere").mkdir()
    asked: list[str] = []
    with sipp_uas("answer.xml", tmp_path / "elsewhere", replacements=answering()) as elsewhere:
        contact = f"Contact: <sip:+15559990000@{HOST}:{elsewhere.sip_port};user=phone>"
        moved = refusing("302 Moved Temporarily", headers=(contact,))
        with sipp_uas("reject.xml", tmp_path / "trunk", replacements=moved) as sipp:
            events, _ = place_call(trunk(sipp, max_call_seconds=1.0), allowing(asked))
            assert sipp.wait() == 0, sipp.diagnostics()
            assert elsewhere.wait() == 0, elsewhere.diagnostics()

    assert asked == ["+15559990000"]
    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    assert len(sipp.received("INVITE")) == 1
    (invite,) = elsewhere.received("INVITE")
    assert invite.startswith(f"INVITE sip:+15559990000@{HOST}:{elsewhere.sip_port};user=phone ")
    # The dialog is with the host the call was redirected to: ACK and BYE went there too.
    assert len(elsewhere.received("BYE")) == 1


def test_a_redirect_to_a_tel_uri_goes_through_the_trunk(tmp_path: Path) -> None:
    asked: list[str] = []
    with sipp_uas(
        "redirect.xml", tmp_path, replacements={"CONTACT": "<tel:+1-555-999-0000>"}
    ) as sipp:
        events, _ = place_call(trunk(sipp, max_call_seconds=1.0), allowing(asked))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert asked == ["+15559990000"]
    assert kinds(events)[-2:] == [CallEventKind.ANSWERED, CallEventKind.COMPLETED]
    first, second = sipp.received("INVITE")
    assert first.startswith("INVITE sip:+15557654321@")
    assert second.startswith(f"INVITE sip:+15559990000@{HOST}:{sipp.sip_port} ")


@pytest.mark.parametrize(
    ("contact", "allow", "because"),
    [
        (
            "<sip:+15559990000@{host}>",
            False,
            "to +15559990000, which this call may not call",
        ),
        ("<sip:voicemail@{host}>", True, "to sip:voicemail@{host}, which is not a phone number"),
    ],
    ids=["refused", "not-a-number"],
)
def test_a_redirect_that_may_not_be_followed_places_no_call(
    tmp_path: Path, contact: str, allow: bool, because: str
) -> None:
    (tmp_path / "trunk").mkdir()
    (tmp_path / "elsewhere").mkdir()
    asked: list[str] = []
    with sipp_uas("answer.xml", tmp_path / "elsewhere", replacements=answering()) as elsewhere:
        host = f"{HOST}:{elsewhere.sip_port}"
        moved = refusing(
            "302 Moved Temporarily", headers=(f"Contact: {contact.format(host=host)}",)
        )
        with sipp_uas("reject.xml", tmp_path / "trunk", replacements=moved) as sipp:
            with pytest.raises(ProviderError) as raised:
                place_call(trunk(sipp), allowing(asked, allow=allow))
            assert sipp.wait() == 0, sipp.diagnostics()
        assert elsewhere.received("INVITE") == []

    assert raised.value.retry_safe
    assert raised.value.code == "sip_redirect"
    assert raised.value.user_message == (
        f"The SIP trunk redirected the call (302 Moved Temporarily) "
        f"{because.format(host=host)}; no call was placed."
    )


def test_an_organizations_trunk_is_not_redirected_to_a_private_host(tmp_path: Path) -> None:
    """Issue 16, finding 1: with a host policy (an organization's trunk, allowed here by name),
    the host a redirect names is checked like the trunk's own: 127.0.0.1 is not public and not
    on the allowlist, so the call is not sent there."""
    (tmp_path / "trunk").mkdir()
    (tmp_path / "elsewhere").mkdir()
    policy = HostPolicy(HostAllowlist.parse("localhost"))
    with sipp_uas("answer.xml", tmp_path / "elsewhere", replacements=answering()) as elsewhere:
        host = f"{HOST}:{elsewhere.sip_port}"
        moved = refusing("302 Moved Temporarily", headers=(f"Contact: <sip:+15559990000@{host}>",))
        with sipp_uas("reject.xml", tmp_path / "trunk", replacements=moved) as sipp:
            with pytest.raises(ProviderError) as raised:
                place_call(trunk(sipp, host="localhost", hosts=policy), allowing([]))
            assert sipp.wait() == 0, sipp.diagnostics()
        assert elsewhere.received("INVITE") == []

    assert raised.value.code == "sip_redirect"
    assert "is not allowed" in raised.value.user_message
    assert len(sipp.received("INVITE")) == 1


def test_without_a_redirect_callback_no_redirect_is_followed(tmp_path: Path) -> None:
    moved = refusing("302 Moved Temporarily", headers=("Contact: <tel:+15559990000>",))
    with sipp_uas("reject.xml", tmp_path, replacements=moved) as sipp:
        with pytest.raises(ProviderError) as raised:
            place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    assert raised.value.code == "sip_redirect"
    assert "this call follows no redirects" in raised.value.user_message
    assert len(sipp.received("INVITE")) == 1


def test_no_more_than_two_redirects_are_followed(tmp_path: Path) -> None:
    asked: list[str] = []
    with sipp_uas("redirect_thrice.xml", tmp_path) as sipp:
        with pytest.raises(ProviderError) as raised:
            place_call(trunk(sipp), allowing(asked))
        assert sipp.wait() == 0, sipp.diagnostics()

    assert asked == ["+15559990001", "+15559990002"]
    assert len(sipp.received("INVITE")) == 3
    assert raised.value.user_message == (
        "The SIP trunk redirected the call (302 Moved Temporarily) more than twice;"
        " no call was placed."
    )


@pytest.mark.parametrize(
    ("uri", "number"),
    [
        ("tel:+44-20-7946-0018", "+442079460018"),
        ("tel:+1(555)999.0000;phone-context=+1", "+15559990000"),
        ("sip:+447700900123@gw.example;user=phone", "+447700900123"),
        ("sips:+447700900123;npdi@gw.example:5061", "+447700900123"),
        ("sip:447700900123@gw.example", None),  # no +: whose national number?
        ("sip:voicemail@gw.example", None),
        ("tel:911", None),
        ("mailto:someone@example.com", None),
    ],
)
def test_the_number_a_redirect_names(uri: str, number: str | None) -> None:
    assert contact_number(uri) == number


def test_a_redirect_not_followed_after_ringing_fails_the_call(tmp_path: Path) -> None:
    moved = refusing(
        "302 Moved Temporarily", before=("180 Ringing",), headers=("Contact: <tel:+15559990000>",)
    )
    with sipp_uas("reject.xml", tmp_path, replacements=moved) as sipp:
        events, _ = place_call(trunk(sipp), request())
        assert sipp.wait() == 0, sipp.diagnostics()

    # A phone rang, so the call was placed: it ends, failed, rather than being tried elsewhere.
    assert kinds(events) == [CallEventKind.RINGING, CallEventKind.FAILED]
    assert events[-1].detail == (
        "The SIP trunk redirected the call (302 Moved Temporarily) to +15559990000,"
        " and this call follows no redirects"
    )


def test_a_503_from_the_host_a_redirect_led_to_does_not_rest_the_trunk(tmp_path: Path) -> None:
    async def dial_twice(config: SipTrunkConfig) -> list[ProviderError]:
        provider = SipTrunkProvider(config, synthesize=fake_speech)
        errors = []
        try:
            for key in ("attempt-1", "attempt-2"):
                with pytest.raises(ProviderError) as raised:
                    await provider.dial(replace(allowing([]), idempotency_key=key))
                errors.append(raised.value)
            return errors
        finally:
            await provider.close()

    (tmp_path / "trunk").mkdir()
    (tmp_path / "elsewhere").mkdir()
    overloaded = refusing("503 Service Unavailable", headers=("Retry-After: 120",))
    with sipp_uas(
        "reject.xml", tmp_path / "elsewhere", replacements=overloaded, calls=2
    ) as elsewhere:
        contact = f"Contact: <sip:+15559990000@{HOST}:{elsewhere.sip_port}>"
        moved = refusing("302 Moved Temporarily", headers=(contact,))
        with sipp_uas("reject.xml", tmp_path / "trunk", replacements=moved, calls=2) as sipp:
            errors = asyncio.run(dial_twice(trunk(sipp)))
            assert sipp.wait() == 0, sipp.diagnostics()
            assert elsewhere.wait() == 0, elsewhere.diagnostics()

    # Both calls went to the trunk: the rest was asked for by another host.
    assert [error.code for error in errors] == ["sip_503", "sip_503"]
    assert len(sipp.received("INVITE")) == 2
