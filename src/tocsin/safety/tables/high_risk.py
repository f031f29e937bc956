"""High-risk destinations: codes with no country behind them, satellite networks, ranges that
carriers list for international revenue share fraud (IRSF), and the NANP area codes of other
countries that one-ring scams use. Calls there cost a great deal and are the usual cash-out of
a compromised calling account. No organization setting lifts these blocks."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.safety.tables.prefixes import PrefixIndex


@dataclass(frozen=True)
class RiskyPrefix:
    prefix: str  # E.164 digits without '+'
    description: str
    source: str


_ITU = "ITU-T E.164 assigned country codes (non-geographic)"
_IRSF = "GSMA / CFCA international revenue share fraud destination lists"
# Public advisories that name the NANP's one-ring area codes.
_FTC_ONE_RING = (
    "FTC consumer alert, 'One Ring' cell phone scam can ding your wallet (Feb 2014): area codes "
    "268, 284, 473, 649, 664, 767, 809, 829, 849, 876; FCC consumer guide, 'One Ring' phone scam"
)
_BBB_ONE_RING = (
    "Better Business Bureau warning on 'ring and run' calls (Feb 2014, reported by Forbes): "
    "242, 246, 264, 268, 284, 345, 441, 473, 649, 664, 758, 767, 784, 809, 829, 849, 868, 869, 876"
)
_INC_ONE_RING = "Inc.com, the one-ring scam's international area codes within +1 (Mar 2017): 721"
_JAMAICA_OVERLAY = "NANPA: 658 overlays 876, Jamaica (2018); FTC consumer alert (Feb 2014) for 876"


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
    # NANP area codes of other countries (issue 17, finding 13). A +1 number there looks
    # domestic to a US or Canadian caller but bills at international rates, often with a
    # premium charge on top: the call-back numbers of the "one-ring" (wangiri) scam. Every
    # foreign NANP area code is on one of these lists or, like 658, overlays one that is.
    RiskyPrefix("1242", "Bahamas (+1 242), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1246", "Barbados (+1 246), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1264", "Anguilla (+1 264), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1268", "Antigua and Barbuda (+1 268), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix(
        "1284", "British Virgin Islands (+1 284), a one-ring scam area code", _FTC_ONE_RING
    ),
    RiskyPrefix("1345", "Cayman Islands (+1 345), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1441", "Bermuda (+1 441), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1473", "Grenada (+1 473), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1649", "Turks and Caicos (+1 649), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1658", "Jamaica (+1 658), a one-ring scam area code", _JAMAICA_OVERLAY),
    RiskyPrefix("1664", "Montserrat (+1 664), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1721", "Sint Maarten (+1 721), a one-ring scam area code", _INC_ONE_RING),
    RiskyPrefix("1758", "Saint Lucia (+1 758), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1767", "Dominica (+1 767), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix(
        "1784",
        "Saint Vincent and the Grenadines (+1 784), a one-ring scam area code",
        _BBB_ONE_RING,
    ),
    RiskyPrefix("1809", "Dominican Republic (+1 809), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1829", "Dominican Republic (+1 829), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1849", "Dominican Republic (+1 849), a one-ring scam area code", _FTC_ONE_RING),
    RiskyPrefix("1868", "Trinidad and Tobago (+1 868), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1869", "Saint Kitts and Nevis (+1 869), a one-ring scam area code", _BBB_ONE_RING),
    RiskyPrefix("1876", "Jamaica (+1 876), a one-ring scam area code", _FTC_ONE_RING),
)

# +800 is the Universal International Freephone Number: toll-free, not merely high-risk.
TOLL_FREE_COUNTRY_CODES = frozenset({"800"})

_RISKY = PrefixIndex((entry.prefix, entry) for entry in RISKY_PREFIXES)


def risky_prefix(e164_digits: str) -> RiskyPrefix | None:
    return _RISKY.longest(e164_digits)


# NANP area codes that belong to other countries, for when metadata lags behind new overlays.
# A number in one of these is international for a US or Canadian organization, and high-risk
# for every organization (RISKY_PREFIXES; a test holds the two to the same area codes).
NANP_FOREIGN_AREA_CODES: dict[str, str] = {
    "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "345": "KY",
    "441": "BM", "473": "GD", "649": "TC", "658": "JM", "664": "MS", "721": "SX",
    "758": "LC", "767": "DM", "784": "VC", "809": "DO", "829": "DO", "849": "DO",
    "868": "TT", "869": "KN", "876": "JM",
}  # fmt: skip

# The US and its territories in the NANP dial one another as domestic numbers (US carriers
# bill them so): calls among them are not international for an organization based in any of
# them. Canada is another country: international for a US organization, and the US for it.
_US_ZONE = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
HOME_ZONES: dict[str, frozenset[str]] = dict.fromkeys(_US_ZONE, _US_ZONE)


def home_zone(home_region: str) -> frozenset[str]:
    return HOME_ZONES.get(home_region, frozenset({home_region}))
