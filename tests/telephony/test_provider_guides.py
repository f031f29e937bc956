"""Each provider's guide (docs/providers/<kind>.md) names every setting and credential its
code reads, so a new setting without documentation fails here.

What the code reads is found by building each kind from mappings that record every name asked
for (`in`, `get`, `[]`), with values good enough for the build to get to the end; the names a
provider account's commands read for every kind (`caller_id`) are added.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tocsin.core.clock import ManualClock
from tocsin.runtime import every_provider
from tocsin.telephony.factory import BuildContext

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "providers"

# What provider commands read of every kind's settings (providers/commands.py: a caller ID
# named by its number).
EVERY_KIND = {"settings": {"caller_id"}, "credentials": set()}


class Recording(dict[str, Any]):
    """A mapping that remembers every name it was asked for, present or not."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.asked.add(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        self.asked.add(str(name))
        return super().__contains__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.asked.add(name)
        return super().get(name, default)

    def __iter__(self) -> Iterator[str]:
        return super().__iter__()


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def _ed25519_public() -> str:
    raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode()


def _good(kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Settings and credentials each build accepts."""
    return {
        "sip": ({"host": "sip.example.com"}, {}),
        "twilio": ({}, {"account_sid": "AC1", "auth_token": "secret"}),
        "plivo": ({}, {"auth_id": "MA1", "auth_token": "secret"}),
        "telnyx": ({"connection_id": "1", "public_key": _ed25519_public()}, {"api_key": "KEY"}),
        "vonage": (
            {},
            {"application_id": "app", "private_key": _rsa_pem(), "signature_secret": "s"},
        ),
    }[kind]


def read_by(kind: str, tmp_path: Path) -> dict[str, set[str]]:
    settings, credentials = (Recording(values) for values in _good(kind))
    context = BuildContext(
        clock=ManualClock(), data_dir=tmp_path, public_base_url="https://t.example", hosts=None
    )
    every_provider().build(kind, settings, credentials, context)
    return {
        "settings": settings.asked | EVERY_KIND["settings"],
        "credentials": credentials.asked | EVERY_KIND["credentials"],
    }


def named_in(guide: str) -> set[str]:
    """Every `name` in backquotes on the guide."""
    return set(re.findall(r"`([a-z_]+)`", guide))


@pytest.mark.parametrize("kind", ["sip", "twilio", "plivo", "telnyx", "vonage"])
def test_the_guide_names_every_setting_and_credential_the_code_reads(
    kind: str, tmp_path: Path
) -> None:
    guide = (GUIDES / f"{kind}.md").read_text("utf-8")
    read = read_by(kind, tmp_path)
    for what in ("settings", "credentials"):
        missing = sorted(read[what] - named_in(guide))
        assert not missing, f"docs/providers/{kind}.md does not name the {what} {missing}"


def test_the_recording_sees_what_a_build_reads(tmp_path: Path) -> None:
    """The check above is only as good as this: a read by `get`, by `in` and by `[]`."""
    read = read_by("telnyx", tmp_path)
    assert {"connection_id", "public_key", "voice", "api_base_url"} <= read["settings"]
    assert read["credentials"] == {"api_key"}
    assert {"host", "port", "register", "invite_timeout"} <= read_by("sip", tmp_path)["settings"]


def test_every_kind_has_a_guide_listed_in_the_index() -> None:
    index = (GUIDES / "README.md").read_text("utf-8")
    kinds = sorted(set(every_provider().kinds) - {"simulator"})
    assert kinds == ["plivo", "sip", "telnyx", "twilio", "vonage"]
    for kind in kinds:
        assert f"({kind}.md)" in index
