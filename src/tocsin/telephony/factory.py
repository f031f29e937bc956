"""Building providers by kind from plain settings and credentials.

Each provider package registers a builder for its kind; the delivery engine asks for a provider
by kind with what an organization (or the server's configuration) stored. A builder checks its
settings and raises ProviderConfigError naming what is wrong, without any network access, so a
bad configuration is refused when it is saved rather than when a call is due.

`check` is what saving an account (and starting with the operator's providers) runs: no line
break in any setting or credential (`telephony.setting_text`, before anything reads them),
the build, then the kind's own checks for saving, which may look a host up (an
organization's hosts must be public, `telephony.hosts`) and are stricter than what a build of
a stored account accepts (an old row is still built, and what it may no longer do is left out
when a call is placed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tocsin.core.clock import Clock
from tocsin.core.errors import InvalidInput
from tocsin.telephony.base import Provider
from tocsin.telephony.hosts import HostPolicy
from tocsin.telephony.setting_text import MAX_DEPTH, field_with_control_character
from tocsin.telephony.simulator import SimulatorProvider, check_behaviour


class ProviderConfigError(InvalidInput):
    default_code = "invalid_provider_config"


@dataclass(frozen=True)
class BuildContext:
    clock: Clock
    data_dir: Path
    public_base_url: str
    # Which hosts the provider may reach: a policy for organizations' accounts, None for the
    # operator's own providers, which may point anywhere.
    hosts: HostPolicy | None
    # Checks the texts "sent" to the simulator's numbers (telephony/simulator_texts.py); empty:
    # it accepts none.
    simulator_key: bytes = b""

    def reaching(self, hosts: HostPolicy) -> BuildContext:
        """This context, its organizations' accounts checked by `hosts`."""
        return replace(self, hosts=hosts)


Builder = Callable[[Mapping[str, Any], Mapping[str, Any], BuildContext], Provider]
# A kind's checks for saving an account, after it was built: raise ProviderConfigError.
Check = Callable[[Mapping[str, Any], BuildContext], None]


@dataclass(frozen=True)
class TextRules:
    """Fields ("settings.x", "credentials.x") of a kind that may hold line breaks (a PEM
    key), and those it checks by a stricter rule of its own (`telephony.setting_text`)."""

    multiline: frozenset[str] = frozenset()
    own_rule: frozenset[str] = frozenset()


def _build_simulator(
    settings: Mapping[str, Any], _credentials: Mapping[str, Any], context: BuildContext
) -> Provider:
    try:
        default = check_behaviour(str(settings.get("outcome", "press:1")))
        numbers = {str(k): check_behaviour(str(v)) for k, v in settings.get("numbers", {}).items()}
    except (ValueError, AttributeError) as exc:
        raise ProviderConfigError(f"simulator settings: {exc}") from exc
    return SimulatorProvider(
        context.data_dir,
        clock=context.clock,
        default_behaviour=default,
        behaviours=numbers,
        ring_seconds=float(settings.get("ring_seconds", 0.0)),
        record_audio=bool(settings.get("record_audio", True)),
        text_key=context.simulator_key,
    )


class ProviderFactory:
    def __init__(self) -> None:
        self._builders: dict[str, Builder] = {"simulator": _build_simulator}
        self._checks: dict[str, Check] = {}
        self._text_rules: dict[str, TextRules] = {}

    def register(
        self,
        kind: str,
        builder: Builder,
        check: Check | None = None,
        text_rules: TextRules | None = None,
    ) -> None:
        self._builders[kind] = builder
        if check is not None:
            self._checks[kind] = check
        if text_rules is not None:
            self._text_rules[kind] = text_rules

    @property
    def kinds(self) -> list[str]:
        return sorted(self._builders)

    def build(
        self,
        kind: str,
        settings: Mapping[str, Any],
        credentials: Mapping[str, Any],
        context: BuildContext,
    ) -> Provider:
        builder = self._builders.get(kind)
        if builder is None:
            raise ProviderConfigError(
                f"unknown provider kind {kind!r}; known: {', '.join(self.kinds)}",
                code="unknown_provider",
            )
        return builder(settings, credentials, context)

    def check(
        self,
        kind: str,
        settings: Mapping[str, Any],
        credentials: Mapping[str, Any],
        context: BuildContext,
    ) -> None:
        """What may be saved: every string one line, it builds, and the kind's checks for
        saving pass."""
        rules = self._text_rules.get(kind, TextRules())
        field = field_with_control_character(
            settings, credentials, multiline=rules.multiline, own_rule=rules.own_rule
        )
        if field is not None:
            raise ProviderConfigError(
                f"{kind} {field}: must be text on one line, without line breaks or other "
                f"control characters, in tables nested at most {MAX_DEPTH} deep",
                code="control_character",
                details={"field": field},
            )
        self.build(kind, settings, credentials, context)
        check = self._checks.get(kind)
        if check is not None:
            check(settings, context)
