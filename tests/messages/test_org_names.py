"""Which organization names a verification code may say (issue 16, finding 2: the name was a
free 200-character channel to numbers that never consented)."""

# Lookalike letters are the subject here.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from tocsin.messages.org_names import GENERIC_ORG, shown_org_name, who_asks, who_asks_briefly

SHOWN = [
    ("Acme", "Acme"),
    ("Acme Ltd.", "Acme Ltd."),
    ("Smith & Sons (Ops)", "Smith & Sons (Ops)"),
    ("O'Brien-Murphy, Inc.", "O'Brien-Murphy, Inc."),
    ("St. Mary's Hospital", "St. Mary's Hospital"),
    ("3M Site Reliability", "3M Site Reliability"),
    ("Team 42", "Team 42"),
    ("Müller Logistik GmbH", "Müller Logistik GmbH"),
    ("Société Générale IT", "Société Générale IT"),
    ("Укрпошта", "Укрпошта"),
    ("株式会社テスト", "株式会社テスト"),
    ("मेरा संगठन", "मेरा संगठन"),
    ("Кирилл и партнёры", "Кирилл и партнёры"),
    ("ΑΘΗΝΑ Λειτουργίες", "ΑΘΗΝΑ Λειτουργίες"),
    ("LINE株式会社", "LINE株式会社"),
    ("한국 SRE 팀", "한국 SRE 팀"),
    ("  Acme    Ops  ", "Acme Ops"),
    ("Acme\nOps", "Acme Ops"),
    # Full-width forms are judged, and shown, as what they look like.
    ("\uff21\uff43\uff4d\uff45", "Acme"),
    ("a" * 40, "a" * 40),
]

REFUSED = [
    # Phishing sentences.
    "Your bank account is locked. Call us now",
    "Barclays fraud team: your card is blocked",
    "HSBC Security urgent notice",
    "Payment overdue",
    "Refund department",
    "Verify your account",
    "Enter your PIN",
    # Addresses.
    "paypal.com",
    "secure-login.example.net",
    "PayPal . com",
    "paypal dot com",
    "www paypal",
    "https secure",
    "help@bank.example",
    "bank.co support",
    # Phone numbers and digit runs.
    "call 0800 123 456",
    "Acme 0800123456",
    "Acme 2024",
    "Ops 1 2 3 4 5",
    "Acme +44",
    "٠٨٠٠ Acme",
    # Lookalikes: Cyrillic letters inside a Latin name.
    "P\u0430ypal",
    "\u0410pple Support",
    "\u0391mazon",
    # Length.
    "a" * 41,
    "Acme Operations and Infrastructure Team Europe",
    # Characters a name does not need.
    "Acme: support",
    "Acme!",
    "Acme/Ops",
    "Acme\u200bOps",
    "Acme #1",
    "Acme 😀",
    # Lures a reviewer got through (issue 16, finding 2): calls to action in other languages,
    # what a bank or a tax office would say, lookalikes from scripts beyond the three.
    "Позвоните в Сбербанк срочно",
    "Llame a su banco ahora",
    "Rufen Sie Ihre Bank an",
    "Barclays Fraud Team ring back now",
    "Your account is frozen",
    "Contact HMRC tax office now",
    "Gօօgle Security",
    "Appelez votre banque",
    "Ligue para o seu banco",
    "Chiama la tua banca",
    "Зателефонуйте до банку",
    "Konto gesperrt",
    "Seguridad de su cuenta",
    # A whole name in Cyrillic letters that look like Latin ones: "Paypal", "Apple".
    "Раураl",
    "Раураӏ",
    "Аррӏе",
    # Nothing to show.
    "",
    "   ",
    "123",
    "---",
]


@pytest.mark.parametrize(("name", "shown"), SHOWN)
def test_a_name_that_reads_like_a_name_is_shown(name: str, shown: str) -> None:
    assert shown_org_name(name) == shown


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_that_could_carry_a_message_is_not_shown(name: str) -> None:
    assert shown_org_name(name) is None


def test_a_refused_name_becomes_an_organization_on_tocsin() -> None:
    assert who_asks("Your bank account is locked. Call 0800 123 456") == GENERIC_ORG
    assert who_asks(None) == GENERIC_ORG
    assert who_asks("Acme") == "The organization Acme, on Tocsin,"


def test_a_code_names_the_organization_in_its_own_language() -> None:
    assert who_asks("Acme", "es") == "La organización Acme, en Tocsin,"
    assert who_asks_briefly("Acme", "de") == "Acme auf Tocsin"
    # A name refused in one language is refused in all: the rule reads the name, not the code.
    lure = "Your bank account is locked. Call 0800 123 456"
    assert who_asks(lure, "uk") == "Організація, яка користується Tocsin,"
    assert who_asks_briefly(lure, "fr") == "Une organisation sur Tocsin"
