"""Signatures as Standard Webhooks makes them (https://www.standardwebhooks.com, spec 1.0.0,
"Signature scheme": HMAC-SHA256 with the base64-decoded `whsec_` secret over
`{msg_id}.{timestamp}.{payload}`, sent as `v1,<base64>`), checked against the signing vector
of the specification's reference Python library (standard-webhooks/standard-webhooks,
libraries/python/tests/test_webhooks.py, `test_sign_function`)."""

from __future__ import annotations

import base64

from tocsin.outgoing import signing

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_reference_librarys_vector_signs_the_same() -> None:
    signed = signing.signature(
        VECTOR_SECRET, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY
    )
    assert signed == VECTOR_SIGNATURE


def test_the_headers_carry_the_id_the_attempts_time_and_one_signature_per_secret() -> None:
    other = signing.new_secret()
    headers = signing.headers(
        [VECTOR_SECRET, other], message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY
    )
    assert headers["webhook-id"] == VECTOR_ID
    assert headers["webhook-timestamp"] == "1614265330"
    first, second = headers["webhook-signature"].split(" ")
    assert first == VECTOR_SIGNATURE
    assert second.startswith("v1,")
    assert second != first


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    secrets = {signing.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def test_a_changed_body_timestamp_or_id_changes_the_signature() -> None:
    def sign(
        message_id: str = VECTOR_ID, timestamp: int = VECTOR_TIMESTAMP, body: bytes = VECTOR_BODY
    ) -> str:
        return signing.signature(
            VECTOR_SECRET, message_id=message_id, timestamp=timestamp, body=body
        )

    assert len({sign(), sign(body=VECTOR_BODY + b" "), sign(timestamp=1), sign("msg_x")}) == 4
