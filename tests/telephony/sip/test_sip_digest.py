from __future__ import annotations

import pytest

from tocsin.telephony.sip.digest import (
    Challenge,
    DigestError,
    authorization,
    digest_response,
    parse_authorization,
    parse_challenge,
)


def test_rfc_2617_example_response() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    response = digest_response(
        challenge,
        username="Mufasa",
        password="Circle Of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce="0a4f113b",
    )
    assert response == "6629fae49393a05397450978507c4ef1"


def test_rfc_7616_sha256_example_response() -> None:
    challenge = Challenge(
        realm="http-auth@example.org",
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
        algorithm="SHA-256",
        qop=("auth",),
    )
    response = digest_response(
        challenge,
        username="Mufasa",
        password="Circle of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    assert response == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def test_challenge_without_qop_uses_the_rfc_2069_form() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", algorithm=MD5')
    assert challenge.qop == ()
    header = authorization(challenge, username="u", password="p", method="INVITE", uri="sip:x@y")
    params = parse_authorization(header)
    assert "qop" not in params
    assert "cnonce" not in params
    assert params["response"] == digest_response(
        challenge, username="u", password="p", method="INVITE", uri="sip:x@y"
    )


def test_authorization_carries_everything_the_server_needs() -> None:
    challenge = parse_challenge('Digest realm="r", nonce="n", qop="auth", opaque="o"')
    params = parse_authorization(
        authorization(
            challenge, username="u", password="p", method="INVITE", uri="sip:1@t", cnonce="c"
        )
    )
    assert params == {
        "username": "u",
        "realm": "r",
        "nonce": "n",
        "uri": "sip:1@t",
        "response": digest_response(
            challenge, username="u", password="p", method="INVITE", uri="sip:1@t", cnonce="c"
        ),
        "algorithm": "MD5",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "c",
        "opaque": "o",
    }


@pytest.mark.parametrize(
    "header",
    [
        'Basic realm="r"',
        'Digest nonce="n"',
        'Digest realm="r", nonce="n", algorithm=SHA-512-256',
        'Digest realm="r", nonce="n", qop="auth-int"',
    ],
)
def test_challenges_we_cannot_answer_are_refused(header: str) -> None:
    with pytest.raises(DigestError):
        parse_challenge(header)
