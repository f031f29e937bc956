"""The platform's own telephony providers, configured by the operator, in failover order.

They call for organizations that have no provider account of their own (or whose accounts are
all disabled or unusable), and they send the platform's own messages, such as the codes of the
public opt-out form. An operator names them in one of two ways:

- one provider in the environment: `TOCSIN_PROVIDER` (its kind), `TOCSIN_PROVIDER_SETTINGS` and
  `TOCSIN_PROVIDER_CREDENTIALS` (JSON objects);
- several in a TOML file named by `TOCSIN_PROVIDERS_FILE`, tried in the order written:

      [[providers]]
      name = "carrier"
      kind = "sip"
      settings = { host = "sip.carrier.example", transport = "tls" }
      credentials = { username = "tocsin", password = "file:/run/secrets/sip_password" }

A credential value `env:NAME` is read from the environment and `file:/path` from a file (its
surrounding whitespace stripped), so secrets need not sit in the file or in `ps` output. A
secret that cannot be read stops start-up with a message naming it.

The platform's number (`TOCSIN_CALLER_ID`) and a trunk's own `caller_id` are checked at start-up
as an organization's caller IDs are when added (`check_platform_caller_ids`): no emergency,
premium-rate, service, sanctioned or high-risk number is ever shown; a placeholder or
"anonymous" may be.

The simulator calls nobody, so it is used only when named, and never next to a real provider:
a made-up keypress must not end a page that a real call could have delivered.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tocsin.core.errors import InvalidInput
from tocsin.safety import screen_caller_id
from tocsin.telephony.setting_text import has_control_character

SIMULATOR = "simulator"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class PlatformProviderError(InvalidInput):
    default_code = "invalid_platform_provider"


@dataclass(frozen=True)
class PlatformProvider:
    """One configured provider: settings as written, credentials with their secrets read."""

    name: str
    kind: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, Any] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        return self.kind == SIMULATOR


def read_secret(value: Any, *, where: str) -> Any:
    """`env:NAME` and `file:/path` read from where they point; anything else is itself."""
    if not isinstance(value, str):
        return value
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            raise PlatformProviderError(f"{where}: environment variable {name} is not set")
        return os.environ[name]
    if value.startswith("file:"):
        path = Path(value[5:])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise PlatformProviderError(f"{where}: cannot read {path}: {error.strerror}") from error
    return value


def _provider(entry: Mapping[str, Any], *, default_name: str, where: str) -> PlatformProvider:
    kind = entry.get("kind")
    if not isinstance(kind, str) or not kind:
        raise PlatformProviderError(f"{where}: kind is required")
    name = entry.get("name", default_name)
    if not isinstance(name, str) or not _NAME.match(name):
        raise PlatformProviderError(
            f"{where}: name must be 1 to 40 lowercase letters, digits, - or _"
        )
    settings = entry.get("settings", {})
    credentials = entry.get("credentials", {})
    if not isinstance(settings, Mapping) or not isinstance(credentials, Mapping):
        raise PlatformProviderError(f"{where}: settings and credentials must be tables")
    read = {
        key: read_secret(value, where=f"{where} credentials.{key}")
        for key, value in credentials.items()
    }
    return PlatformProvider(name, kind, dict(settings), read)


def _from_file(path: Path) -> list[PlatformProvider]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlatformProviderError(f"providers file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise PlatformProviderError(f"providers file {path}: {error}") from error
    entries = document.get("providers")
    if not isinstance(entries, list) or not entries:
        raise PlatformProviderError(f"providers file {path}: no [[providers]] entries")
    return [
        _provider(entry, default_name=f"provider-{number}", where=f"{path} provider {number}")
        for number, entry in enumerate(entries, start=1)
        if isinstance(entry, Mapping)
    ]


def _json_object(text: str | Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError as error:
        raise PlatformProviderError(f"{what} is not a JSON object: {error}") from error
    if not isinstance(value, dict):
        raise PlatformProviderError(f"{what} is not a JSON object")
    return value


def configured_providers(
    *,
    kind: str | None,
    settings: str | Mapping[str, Any],
    credentials: str | Mapping[str, Any],
    providers_file: Path | None,
    simulator_settings: Mapping[str, Any],
) -> tuple[PlatformProvider, ...]:
    """The platform's providers, in the order to try them; empty when none is configured."""
    if kind and providers_file is not None:
        raise PlatformProviderError(
            "set TOCSIN_PROVIDER or TOCSIN_PROVIDERS_FILE, not both: the file lists every one"
        )
    if providers_file is not None:
        found = _from_file(providers_file)
    elif kind:
        entry = {
            "kind": kind,
            "name": kind,
            "settings": _json_object(settings, "TOCSIN_PROVIDER_SETTINGS"),
            "credentials": _json_object(credentials, "TOCSIN_PROVIDER_CREDENTIALS"),
        }
        found = [_provider(entry, default_name=kind, where="TOCSIN_PROVIDER")]
    else:
        return ()
    names = [provider.name for provider in found]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise PlatformProviderError(f"two platform providers are named {duplicated[0]!r}")
    if any(p.simulated for p in found) and not all(p.simulated for p in found):
        raise PlatformProviderError(
            "the simulator calls nobody, so it cannot stand in for a real provider: list "
            "either real providers or the simulator alone"
        )
    return tuple(
        PlatformProvider(p.name, p.kind, {**simulator_settings, **p.settings}, p.credentials)
        if p.simulated
        else p
        for p in found
    )


def check_platform_caller_ids(
    platform: tuple[PlatformProvider, ...], caller_id: str, *, region: str
) -> None:
    """PlatformProviderError unless the platform's number and each provider's own
    `caller_id` setting may be shown; a national number is read in `region`."""
    shown = [("TOCSIN_CALLER_ID", caller_id)] + [
        (f"provider {p.name} settings.caller_id", str(p.settings["caller_id"]))
        for p in platform
        if p.settings.get("caller_id")
    ]
    for where, number in shown:
        if has_control_character(number):
            raise PlatformProviderError(
                f"{where}: must be text on one line, without line breaks or other control "
                "characters",
                code="control_character",
                details={"field": where},
            )
        verdict = screen_caller_id(number, region, must_be_line=False)
        if not verdict.allowed:
            raise PlatformProviderError(
                f"{where}: {number} cannot be a caller ID: {verdict.summary()}",
                code="caller_id_refused",
                details={"field": where, "reasons": verdict.reasons()},
            )
