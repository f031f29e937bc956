"""Ranges whose cost class `phonenumbers` metadata gets wrong or leaves out. An entry here
replaces the type the metadata gives (both are blocks; the entry says which one, and why)."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.safety.reasons import ReasonCode
from tocsin.safety.tables.prefixes import PrefixIndex


@dataclass(frozen=True)
class TariffRange:
    prefix: str  # E.164 digits without '+'
    code: ReasonCode
    description: str
    source: str


_OFCOM = "Ofcom, National Telephone Numbering Plan: 084 and 087 service numbers"

TARIFF_RANGES: tuple[TariffRange, ...] = (
    # The metadata calls these premium rate. Ofcom's premium rate is 09; 084 and 087 carry a
    # service charge of a few pence a minute that the caller shares with the called business.
    TariffRange("4484", ReasonCode.SHARED_COST, "UK 084 service number (shared cost)", _OFCOM),
    TariffRange("4487", ReasonCode.SHARED_COST, "UK 087 service number (shared cost)", _OFCOM),
)


# No prefix here starts another (a test holds it so), so the longest match is the only one.
_TARIFFS = PrefixIndex((entry.prefix, entry) for entry in TARIFF_RANGES)


def tariff_range(e164_digits: str) -> TariffRange | None:
    return _TARIFFS.longest(e164_digits)
