"""Emergency and public-service short numbers that `phonenumbers` short-number metadata lacks,
and the North American N11 service codes.

An automated alert call to any of these would tie up a line someone may need to live.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceNumber:
    region: str
    number: str
    description: str
    source: str
    emergency: bool


_UA = "Ukraine, Cabinet of Ministers: single emergency numbers 101-104"
_FR = "ARCEP, numeros d'urgence (114 for deaf and hard of hearing callers)"
_AT = "RTR, Notrufnummern (KEM-V 2009, section 33)"
_NANP = "FCC / NANPA, N11 codes"
_ES = "Spain, Plan nacional de numeracion telefonica: 061, 062, 091 and 092 emergency numbers"
_CN = "MIIT, China telecommunication numbering: 122 road traffic accident alarm"
_JP = "Japan Coast Guard: 118 maritime emergency number"
_IN = "DoT India, National Numbering Plan: level 10X reserved for emergency services"
_NG = "Nigerian Communications Commission: 112 national emergency number"

EXTRA_SERVICE_NUMBERS: tuple[ServiceNumber, ...] = (
    ServiceNumber("UA", "101", "fire and rescue", _UA, emergency=True),
    ServiceNumber("UA", "102", "police", _UA, emergency=True),
    ServiceNumber("UA", "103", "ambulance", _UA, emergency=True),
    ServiceNumber("UA", "104", "gas emergency", _UA, emergency=True),
    ServiceNumber("FR", "114", "emergency for deaf and hard of hearing callers", _FR, True),
    ServiceNumber("FR", "115", "emergency shelter (SAMU social)", _FR, emergency=True),
    ServiceNumber("FR", "119", "child abuse helpline", _FR, emergency=True),
    ServiceNumber("FR", "191", "aviation emergency", _FR, emergency=True),
    ServiceNumber("FR", "196", "sea rescue", _FR, emergency=True),
    ServiceNumber("AT", "128", "gas emergency", _AT, emergency=True),
    ServiceNumber("AT", "140", "mountain rescue", _AT, emergency=True),
    ServiceNumber("AT", "141", "on-call doctor", _AT, emergency=True),
    ServiceNumber("AT", "142", "telephone counselling", _AT, emergency=True),
    ServiceNumber("AT", "144", "ambulance", _AT, emergency=True),
    ServiceNumber("AT", "147", "child and youth helpline", _AT, emergency=True),
    ServiceNumber("ES", "061", "medical emergencies", _ES, emergency=True),
    ServiceNumber("ES", "062", "Guardia Civil", _ES, emergency=True),
    ServiceNumber("ES", "091", "national police", _ES, emergency=True),
    ServiceNumber("ES", "092", "local police", _ES, emergency=True),
    ServiceNumber("CN", "122", "road traffic accident alarm", _CN, emergency=True),
    ServiceNumber("JP", "118", "coast guard emergency", _JP, emergency=True),
    ServiceNumber("IN", "103", "traffic police emergency line", _IN, emergency=True),
    ServiceNumber("NG", "112", "emergency", _NG, emergency=True),
    ServiceNumber("US", "911", "emergency", _NANP, emergency=True),
    ServiceNumber("US", "988", "suicide and crisis lifeline", _NANP, emergency=True),
    ServiceNumber("US", "933", "911 address test line", _NANP, emergency=True),
    ServiceNumber("US", "211", "community services", _NANP, emergency=False),
    ServiceNumber("US", "311", "municipal services", _NANP, emergency=False),
    ServiceNumber("US", "411", "directory assistance", _NANP, emergency=False),
    ServiceNumber("US", "511", "traffic information", _NANP, emergency=False),
    ServiceNumber("US", "611", "carrier repair service", _NANP, emergency=False),
    ServiceNumber("US", "711", "telecommunications relay service", _NANP, emergency=False),
    ServiceNumber("US", "811", "call before you dig", _NANP, emergency=False),
)

# The N11 codes work the same way everywhere in the North American Numbering Plan.
_NANP_REGIONS = frozenset({"US", "CA", "PR", "VI", "GU", "AS", "MP"})

_BY_REGION = {(entry.region, entry.number): entry for entry in EXTRA_SERVICE_NUMBERS}
_BY_NUMBER: dict[str, tuple[ServiceNumber, ...]] = {}
for _entry in EXTRA_SERVICE_NUMBERS:
    _BY_NUMBER[_entry.number] = (*_BY_NUMBER.get(_entry.number, ()), _entry)


def service_number(region: str, national_digits: str) -> ServiceNumber | None:
    lookup_region = "US" if region in _NANP_REGIONS else region
    return _BY_REGION.get((lookup_region, national_digits))


def service_numbers_anywhere(digits: str) -> tuple[ServiceNumber, ...]:
    """The entries for `digits` in every region, for a number typed without one."""
    return _BY_NUMBER.get(digits, ())
