"""Each provider's callback signature: the right one passes; anything else does not."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.telephony.rest.callback_requests import form_request
from tests.telephony.rest.fakes import plivo_v3_signature, twilio_signature
from tocsin.telephony.rest import (
    PlivoConfig,
    PlivoProvider,
    TwilioConfig,
    TwilioProvider,
    plivo,
    telnyx,
    twilio,
    vonage,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_twilio_signature_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio.signature("12345", url, params.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_verify_refuses_a_changed_url_parameter_or_token() -> None:
    provider = TwilioProvider(TwilioConfig("AC1", "token"), public_base_url="https://t.example")
    adapter = provider.callbacks
    url = "https://t.example/v1/telephony/twilio/status?key=job_1%2F1"
    params = [("CallSid", "CA1"), ("CallStatus", "completed")]
    good = twilio_signature("token", url, dict(params))

    def verify(url: str, params: list[tuple[str, str]], header: str | None) -> bool:
        headers = {"x-twilio-signature": header} if header is not None else {}
        return adapter.verify(form_request(url, params, headers))

    assert verify(url, params, good)
    assert not verify(url.replace("job_1", "job_2"), params, good)
    assert not verify(url, [("CallSid", "CA1"), ("CallStatus", "busy")], good)
    assert not verify(url, params, twilio_signature("other", url, dict(params)))
    assert not verify(url, params, None)


@pytest.mark.parametrize(
    "url",
    [
        "https://t.example/v1/telephony/plivo/gather?key=job_1%2F1&round=2",
        "https://t.example/v1/telephony/plivo/answer",
    ],
)
@pytest.mark.parametrize("params", [{}, {"Digits": "1", "CallUUID": "c-1", "RequestUUID": "r-1"}])
def test_plivo_v3_signature_is_built_as_plivos_sdk_builds_it(
    url: str, params: dict[str, str]
) -> None:
    expected = plivo_v3_signature("token", url, params, "nonce-1")
    assert plivo.signature("token", url, sorted(params.items()), "nonce-1") == expected


def test_plivo_verify_takes_any_of_several_signatures_and_needs_the_nonce() -> None:
    provider = PlivoProvider(PlivoConfig("MA1", "token"), public_base_url="https://t.example")
    adapter = provider.callbacks
    url = "https://t.example/v1/telephony/plivo/status?key=k"
    params = [("CallStatus", "ringing"), ("RequestUUID", "r-1")]
    good = plivo_v3_signature("token", url, dict(params), "n1")

    def verify(params: list[tuple[str, str]], header: str, nonce: str | None) -> bool:
        headers = {"x-plivo-signature-v3": header}
        if nonce is not None:
            headers["x-plivo-signature-v3-nonce"] = nonce
        return adapter.verify(form_request(url, params, headers))

    assert verify(params, f"stale-signature,{good}", "n1")
    assert not verify(params, good, "n2")
    assert not verify(params, good, None)
    assert not verify([("CallStatus", "busy"), ("RequestUUID", "r-1")], good, "n1")


def _telnyx_signed(key: Ed25519PrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + b"|" + body)).decode()


def test_telnyx_signature_needs_the_account_key_the_same_body_and_a_fresh_timestamp() -> None:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()
    body = b'{"data":{"event_type":"call.answered"}}'
    now = str(int(NOW.timestamp()))

    def verify(signature: str | None, timestamp: str | None, sent: bytes = body) -> bool:
        return telnyx.verify_signature(
            public, signature=signature, timestamp=timestamp, body=sent, now=NOW,
            tolerance_seconds=300,
        )  # fmt: skip

    assert verify(_telnyx_signed(key, now, body), now)
    assert not verify(_telnyx_signed(key, now, body), now, body + b" ")
    assert not verify(_telnyx_signed(Ed25519PrivateKey.generate(), now, body), now)
    stale = str(int(NOW.timestamp()) - 301)
    assert not verify(_telnyx_signed(key, stale, body), stale)
    future = str(int(NOW.timestamp()) + 301)
    assert not verify(_telnyx_signed(key, future, body), future)
    assert not verify(None, now)
    assert not verify("not base64!", now)
    # A digit int() refuses ('²' is a digit to str.isdigit) is a forged header, not a 500.
    assert not verify(_telnyx_signed(key, now, body), "²")


def _vonage_token(secret: str, body: bytes, issued: float) -> str:
    claims = {
        "iat": int(issued),
        "jti": "j-1",
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(body).hexdigest(),
    }
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256")


def test_vonage_signed_webhook_needs_the_secret_the_body_hash_and_a_fresh_token() -> None:
    secret = "vonage-signature-secret-0123456789abcdef"
    body = b'{"status":"answered","uuid":"u-1"}'
    issued = NOW.timestamp()

    def verify(authorization: str | None, sent: bytes = body) -> bool:
        return vonage.verify_signed_webhook(
            secret, authorization=authorization, body=sent, now=NOW, tolerance_seconds=300
        )

    assert verify(_vonage_token(secret, body, issued))
    assert not verify(_vonage_token(secret, body, issued), b'{"status":"completed"}')
    assert not verify(_vonage_token("another-secret-0123456789abcdef-0123", body, issued))
    assert not verify(_vonage_token(secret, body, issued - 301))
    assert not verify(None)
    assert not verify("Basic abc")
    unhashed = jwt.encode({"iat": int(issued)}, secret, algorithm="HS256")
    assert not verify(f"Bearer {unhashed}")
