"""TOCSIN_SMTP_URL, read once into the settings the mail module sends by."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import settings_for
from tocsin.core.errors import InvalidInput
from tocsin.mail.smtp import MailSettings, parse_url

BASE = "https://tocsin.example"


def test_starttls_on_the_submission_port_with_a_percent_encoded_password() -> None:
    mail = parse_url("smtp://ops%40example.com:p%3Ass@mail.example.com?starttls=1", "a@b.c", BASE)
    assert (mail.host, mail.port, mail.starttls, mail.implicit_tls) == (
        "mail.example.com",
        587,
        True,
        False,
    )
    assert (mail.username, mail.password) == ("ops@example.com", "p:ss")
    assert "p:ss" not in repr(mail)


def test_smtps_is_tls_from_the_first_byte_on_465() -> None:
    mail = parse_url("smtps://u:p@mail.example.com", "a@b.c", BASE)
    assert (mail.port, mail.implicit_tls, mail.starttls) == (465, True, False)


def test_plain_smtp_uses_starttls_when_offered_on_port_25() -> None:
    mail = parse_url("smtp://relay.internal", "a@b.c", BASE)
    assert (mail.port, mail.starttls, mail.username) == (25, None, None)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtps://mail.example.com?starttls=1",
        "smtp://mail.example.com?starttls=maybe",
        "smtp://mail.example.com:port",
    ],
)
def test_a_url_that_cannot_be_used_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        parse_url(url, "a@b.c", BASE)


def test_without_a_url_mail_is_off_and_the_sender_defaults_to_the_public_host(
    database_url: str, data_dir: Path
) -> None:
    assert MailSettings.from_settings(settings_for(database_url, data_dir)) is None
    on = MailSettings.from_settings(
        settings_for(
            database_url, data_dir, smtp_url="smtp://relay", public_base_url="https://ops.example"
        )
    )
    assert on is not None
    assert on.sender == "Tocsin <tocsin@ops.example>"
    assert on.envelope_sender == "tocsin@ops.example"
    assert on.base_url == "https://ops.example"
