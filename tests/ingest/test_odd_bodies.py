"""Issue 17, finding 6: bodies that made the server answer 500 instead of accepting or refusing
them, and one that was accepted but made its alert answer 500 for ever after: JSON nested ~990
deep; non-finite numbers (NaN, Infinity, 1e400); a lone surrogate; a NUL byte, which
PostgreSQL cannot store in text (the alert was lost there while SQLite took it). Each is now
refused with a 422 or cleaned before storage, alike on both backends, and whatever was stored
reads back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.delivery.pager import Pager


def post(pager: Pager, endpoint_id: str, raw: str) -> Any:
    return pager.client.post(
        f"/v1/hooks/{endpoint_id}",
        content=raw.encode("utf-8"),
        headers={"X-Alert-Key": pager.ingest_key, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "raw",
    [
        '{"title": "Disk full", "severity": NaN}',
        '{"title": "Disk full", "severity": Infinity}',
        '{"title": "Disk full", "severity": -Infinity}',
        '{"title": "Disk full", "severity": 1e400}',
        '{"title": "Disk full", "priority": NaN}',
    ],
)
def test_non_finite_numbers_never_make_a_500(pager: Pager, raw: str) -> None:
    endpoint_id = pager.endpoint(pager.contact("Ana"))
    answer = post(pager, endpoint_id, raw)
    assert answer.status_code in (202, 422), answer.text
    if answer.status_code == 202:
        detail = pager.alert(answer.json()["alert_id"])
        assert detail["title"]


def test_a_lone_surrogate_is_cleaned_and_the_alert_reads_back(pager: Pager) -> None:
    endpoint_id = pager.endpoint(pager.contact("Ana"))
    answer = post(pager, endpoint_id, '{"title": "Disk \\ud800 full", "host": "db\\udfff1"}')
    assert answer.status_code == 202, answer.text
    detail = pager.alert(answer.json()["alert_id"])
    assert detail["title"] == "Disk \ufffd full"


def test_a_nul_byte_is_cleaned_on_both_backends(pager: Pager) -> None:
    endpoint_id = pager.endpoint(pager.contact("Ana"))
    answer = post(pager, endpoint_id, '{"title": "Disk\\u0000 full", "message": "a\\u0000b"}')
    assert answer.status_code == 202, answer.text
    detail = pager.alert(answer.json()["alert_id"])
    assert detail["title"] == "Disk full"
    assert "\x00" not in str(detail)


@pytest.mark.parametrize("depth", [900, 990, 5000])
def test_deeply_nested_json_is_refused_not_a_500(pager: Pager, depth: int) -> None:
    endpoint_id = pager.endpoint(pager.contact("Ana"))
    raw = '{"title": "x", "data": ' + "[" * depth + "]" * depth + "}"
    answer = post(pager, endpoint_id, raw)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "payload_too_deep"


def test_ordinary_nesting_is_still_accepted(pager: Pager) -> None:
    endpoint_id = pager.endpoint(pager.contact("Ana"))
    raw = '{"title": "x", "data": ' + "[" * 30 + "1" + "]" * 30 + "}"
    answer = post(pager, endpoint_id, raw)
    assert answer.status_code == 202, answer.text
    assert pager.alert(answer.json()["alert_id"])["title"] == "x"


@pytest.mark.parametrize(
    "email", ["ana\u0000@example.com", "ana@exa\u0000mple.com", "a\u0007@b.co"]
)
def test_a_control_character_in_a_sign_in_email_is_refused_not_a_500(
    pager: Pager, email: str
) -> None:
    """On PostgreSQL a NUL in the login e-mail reached the query and answered 500."""
    answer = pager.client.post("/v1/auth/login", json={"email": email, "password": "x" * 12})
    assert answer.status_code in (401, 422), answer.text
    signup = pager.client.post(
        "/v1/auth/signup",
        json={"email": email, "password": "correct horse battery", "display_name": "Ana"},
    )
    assert signup.status_code == 422, signup.text
