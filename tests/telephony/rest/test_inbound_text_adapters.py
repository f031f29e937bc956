"""Each provider's inbound-message adapter without HTTP: what it reads out of the webhook, what
it leaves alone, and the signatures it refuses (issue 16, finding 8: no inbound SMS at all).

Formats and signatures as the providers document them: see tests/delivery/test_inbound_texts.py,
which delivers the same webhooks over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.telephony.rest.callback_requests import BASE, NOW, form_request, json_request, url_of
from tests.telephony.rest.fakes import plivo_v3_signature, twilio_signature
from tocsin.core.clock import ManualClock
from tocsin.core.errors import InvalidInput
from tocsin.telephony.inbound import InboundText, text_adapter
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    TelnyxConfig,
    TelnyxProvider,
    TwilioConfig,
    TwilioProvider,
    VonageConfig,
    VonageProvider,
    inbound_text_url,
)
from tocsin.telephony.simulator import SimulatorProvider

TOKEN = "auth-token"
SECRET = "vonage-signature-secret-of-32-bytes-or-more"
TELNYX_KEY = Ed25519PrivateKey.generate()


def _public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


TWILIO = TwilioProvider(TwilioConfig("AC1", TOKEN), public_base_url=BASE).inbound_texts
PLIVO = PlivoProvider(PlivoConfig("MA1", TOKEN), public_base_url=BASE).inbound_texts
TELNYX = TelnyxProvider(
    TelnyxConfig(api_key="KEY", connection_id="1", public_key=_public(TELNYX_KEY)),
    public_base_url=BASE,
).inbound_texts
VONAGE = VonageProvider(
    VonageConfig(application_id="app", private_key_pem=_pem(), signature_secret=SECRET),
    public_base_url=BASE,
).inbound_texts


def test_the_urls_to_configure_name_the_account_and_a_sip_trunk_has_none() -> None:
    assert inbound_text_url(BASE, "telnyx") == f"{BASE}/v1/telephony/telnyx/sms"
    assert inbound_text_url(BASE, "vonage", "prv_1") == (
        f"{BASE}/v1/telephony/vonage/sms?account=prv_1"
    )
    assert inbound_text_url(BASE, "sip", "prv_1") is None
    # The simulator receives texts in a signed format of its own (telephony/simulator_texts.py).
    assert inbound_text_url(BASE, "simulator") == f"{BASE}/v1/telephony/simulator/sms"


def test_rest_providers_and_the_simulator_receive_texts(tmp_path: Path) -> None:
    assert text_adapter(SimulatorProvider(tmp_path, clock=ManualClock())) is not None


def test_twilio_reads_the_sender_the_number_and_the_body_and_checks_the_url_it_signed() -> None:
    url = url_of("twilio", "sms")
    params = {"MessageSid": "SM1", "From": "+447400123456", "To": "+447400000001", "Body": "Stop"}
    header = {"x-twilio-signature": twilio_signature(TOKEN, url, params)}
    request = form_request(url, list(params.items()), header)
    assert TWILIO.verify(request)
    assert TWILIO.parse(request) == InboundText("SM1", "+447400123456", "+447400000001", "Stop")
    # Moved to another account's URL, the signature no longer holds.
    moved = form_request(url_of("twilio", "sms", account="prv_2"), list(params.items()), header)
    assert not TWILIO.verify(moved)
    assert TWILIO.acknowledgement.body.decode().endswith("<Response />")

    without_id = form_request(url, [("From", "+447400123456"), ("To", "+447400000001")])
    with pytest.raises(InvalidInput) as refused:
        TWILIO.parse(without_id)
    assert refused.value.code == "malformed_body"


def test_plivo_numbers_come_as_digits_and_are_read_with_the_plus() -> None:
    url = url_of("plivo", "sms")
    params = {
        "From": "447400123456",
        "To": "447400000001",
        "Type": "sms",
        "Text": "HELP",
        "MessageUUID": "7ee4241c",
    }
    nonce = "12345678901234567890"
    headers = {
        "x-plivo-signature-v3": plivo_v3_signature(TOKEN, url, params, nonce),
        "x-plivo-signature-v3-nonce": nonce,
    }
    request = form_request(url, list(params.items()), headers)
    assert PLIVO.verify(request)
    assert PLIVO.parse(request) == InboundText("7ee4241c", "+447400123456", "+447400000001", "HELP")
    forged = {**headers, "x-plivo-signature-v3": plivo_v3_signature("other", url, params, nonce)}
    assert not PLIVO.verify(form_request(url, list(params.items()), forged))


def _telnyx(body: dict[str, Any], *, age_seconds: int = 0) -> Any:
    raw = json.dumps(body).encode()
    timestamp = str(int(NOW.timestamp()) - age_seconds)
    signed = TELNYX_KEY.sign(timestamp.encode() + b"|" + raw)
    headers = {
        "telnyx-signature-ed25519": base64.b64encode(signed).decode(),
        "telnyx-timestamp": timestamp,
    }
    return json_request(url_of("telnyx", "sms"), body, headers, raw=raw)


def test_telnyx_reads_message_received_and_acknowledges_its_delivery_reports() -> None:
    received = {
        "data": {
            "event_type": "message.received",
            "payload": {
                "id": "msg-1",
                "direction": "inbound",
                "from": {"phone_number": "+447400123456"},
                "to": [{"phone_number": "+447400000001", "status": "webhook_delivered"}],
                "text": "UNSTOP",
            },
        }
    }
    request = _telnyx(received)
    assert TELNYX.verify(request)
    assert TELNYX.parse(request) == InboundText("msg-1", "+447400123456", "+447400000001", "UNSTOP")
    report = {"data": {"event_type": "message.finalized", "payload": {"id": "msg-2"}}}
    assert TELNYX.parse(_telnyx(report)) is None
    # A webhook recorded and played back later is refused.
    assert not TELNYX.verify(_telnyx(received, age_seconds=301))


def _vonage(body: dict[str, Any], *, secret: str = SECRET, age_seconds: int = 0) -> Any:
    raw = json.dumps(body).encode()
    claims = {
        "iat": int(NOW.timestamp()) - age_seconds,
        "jti": str(uuid.uuid4()),
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(raw).hexdigest(),
        "application_id": "app",
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    return json_request(
        url_of("vonage", "sms"), body, {"authorization": f"Bearer {token}"}, raw=raw
    )


def test_vonage_reads_inbound_sms_and_leaves_other_channels_alone() -> None:
    body = {
        "channel": "sms",
        "message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        "to": "447400000001",
        "from": "447400123456",
        "timestamp": NOW.isoformat(),
        "text": "stop",
        "sms": {"num_messages": "1", "keyword": "STOP"},
        "message_type": "text",
    }
    request = _vonage(body)
    assert VONAGE.verify(request)
    assert VONAGE.parse(request) == InboundText(
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "+447400123456", "+447400000001", "stop"
    )
    assert VONAGE.parse(_vonage({**body, "channel": "whatsapp"})) is None
    assert not VONAGE.verify(_vonage(body, secret="another-secret-of-32-bytes-or-more-long"))
    assert not VONAGE.verify(_vonage(body, age_seconds=301))
    # The body is not the one whose hash was signed.
    tampered = json_request(
        url_of("vonage", "sms"),
        {**body, "from": "447400999999"},
        {"authorization": request.header("authorization")},
    )
    assert not VONAGE.verify(tampered)
