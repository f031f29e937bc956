"""Sanctioned jurisdictions. Regions are configurable (TOCSIN_SANCTIONED_REGIONS); the occupied
territories of Ukraine are blocked by prefix in both numbering plans they are served from,
whatever the region list says."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.safety.tables.prefixes import PrefixIndex

DEFAULT_SANCTIONED_REGIONS: frozenset[str] = frozenset({"CU", "IR", "KP", "RU", "BY"})


@dataclass(frozen=True)
class OccupiedPrefix:
    prefix: str  # E.164 digits without '+'
    description: str


_SOURCE = "EU Regulation 2022/263 and OFAC Ukraine-/Russia-related sanctions (territorial scope)"

OCCUPIED_TERRITORY_PREFIXES: tuple[OccupiedPrefix, ...] = (
    OccupiedPrefix("38062", "Donetsk oblast (Ukrainian plan, +380 62)"),
    OccupiedPrefix("38064", "Luhansk oblast (Ukrainian plan, +380 64)"),
    OccupiedPrefix("38065", "Crimea (Ukrainian plan, +380 65)"),
    OccupiedPrefix("380692", "Sevastopol (Ukrainian plan, +380 692)"),
    OccupiedPrefix("7978", "Crimea mobile (Russian plan, +7 978)"),
    OccupiedPrefix("7365", "Crimea fixed (Russian plan, +7 365)"),
    OccupiedPrefix("7869", "Sevastopol fixed (Russian plan, +7 869)"),
    OccupiedPrefix("7949", "Donetsk mobile (Russian plan, +7 949)"),
    OccupiedPrefix("7959", "Luhansk mobile (Russian plan, +7 959)"),
    OccupiedPrefix("7990", "Zaporizhzhia and Kherson mobile (Russian plan, +7 990)"),
)
OCCUPIED_TERRITORY_SOURCE = _SOURCE


# No prefix here starts another (a test holds it so), so the longest match is the only one.
_OCCUPIED = PrefixIndex((entry.prefix, entry) for entry in OCCUPIED_TERRITORY_PREFIXES)


def occupied_prefix(e164_digits: str) -> OccupiedPrefix | None:
    return _OCCUPIED.longest(e164_digits)
