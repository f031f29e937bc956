"""High-risk destinations: codes with no country behind them, satellite networks, and ranges
that carriers list for international revenue share fraud (IRSF). Calls there cost a great deal
and are the usual cash-out of a compromised calling account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RiskyPrefix:
    prefix: str  # E.164 digits without '+'
    description: str
    source: str


_ITU = "ITU-T E.164 assigned country codes (non-geographic)"
_IRSF = "GSMA / CFCA international revenue share fraud destination lists"

RISKY_PREFIXES: tuple[RiskyPrefix, ...] = (
    RiskyPrefix("808", "International Shared Cost Service", _ITU),
    RiskyPrefix("870", "Inmarsat satellite", _ITU),
    RiskyPrefix("878", "Universal Personal Telecommunications", _ITU),
    RiskyPrefix("881", "Global Mobile Satellite System", _ITU),
    RiskyPrefix("882", "International networks", _ITU),
    RiskyPrefix("883", "International networks", _ITU),
    RiskyPrefix("888", "Telecommunications for disaster relief (OCHA)", _ITU),
    RiskyPrefix("979", "International Premium Rate Service", _ITU),
    RiskyPrefix("239", "Sao Tome and Principe", _IRSF),
    RiskyPrefix("245", "Guinea-Bissau", _IRSF),
    RiskyPrefix("246", "Diego Garcia", _IRSF),
    RiskyPrefix("247", "Ascension Island", _IRSF),
    RiskyPrefix("252", "Somalia", _IRSF),
    RiskyPrefix("290", "Saint Helena and Tristan da Cunha", _IRSF),
    RiskyPrefix("674", "Nauru", _IRSF),
    RiskyPrefix("677", "Solomon Islands", _IRSF),
    RiskyPrefix("678", "Vanuatu", _IRSF),
    RiskyPrefix("682", "Cook Islands", _IRSF),
    RiskyPrefix("683", "Niue", _IRSF),
    RiskyPrefix("686", "Kiribati", _IRSF),
    RiskyPrefix("688", "Tuvalu", _IRSF),
    RiskyPrefix("690", "Tokelau", _IRSF),
    RiskyPrefix("691", "Micronesia", _IRSF),
    RiskyPrefix("692", "Marshall Islands", _IRSF),
)

# +800 is the Universal International Freephone Number: toll-free, not merely high-risk.
TOLL_FREE_COUNTRY_CODES = frozenset({"800"})


def risky_prefix(e164_digits: str) -> RiskyPrefix | None:
    for entry in RISKY_PREFIXES:
        if e164_digits.startswith(entry.prefix):
            return entry
    return None


# NANP area codes that belong to other countries, for when metadata lags behind new overlays.
# A number in one of these is international for a US or Canadian organization.
NANP_FOREIGN_AREA_CODES: dict[str, str] = {
    "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "345": "KY",
    "441": "BM", "473": "GD", "649": "TC", "658": "JM", "664": "MS", "721": "SX",
    "758": "LC", "767": "DM", "784": "VC", "809": "DO", "829": "DO", "849": "DO",
    "868": "TT", "869": "KN", "876": "JM",
}  # fmt: skip

# Territories dialled as domestic from their mainland: not international for its organizations.
HOME_ZONES: dict[str, frozenset[str]] = {
    "US": frozenset({"US", "PR", "VI", "GU", "AS", "MP"}),
}


def home_zone(home_region: str) -> frozenset[str]:
    return HOME_ZONES.get(home_region, frozenset({home_region}))
