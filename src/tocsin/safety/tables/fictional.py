"""Fictional and test numbers reserved for drama and documentation.

They are never assigned to real subscribers, so a contact using one is a mistake or a test that
would otherwise place a real call to whoever the range is later given to.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from tocsin.safety.tables.prefixes import PrefixIndex


@dataclass(frozen=True)
class NumberRange:
    """A range written as a regular expression over E.164 digits without the '+'."""

    country: str
    pattern: str
    description: str
    source: str

    def matches(self, e164_digits: str) -> bool:
        return _compiled(self.pattern).fullmatch(e164_digits) is not None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Kept here rather than in `re`'s bounded cache, which the metadata patterns crowd out.
    return re.compile(pattern)


_OFCOM = "Ofcom, Telephone numbers for use in TV and radio drama programmes"
_ACMA = "ACMA, Numbers for use in creative works (Telecommunications Numbering Plan 2015)"
_ARCEP = "ARCEP decision 2019-0954, numbers reserved for fiction"
_BNETZA = "Bundesnetzagentur, Rufnummern fuer Film, Funk und Fernsehen"

FICTIONAL_RANGES: tuple[NumberRange, ...] = (
    NumberRange("NANP", r"1[2-9]\d{2}55501\d{2}", "NXX-555-0100 to 0199 in every area code",
                "NANPA, 555 NXX line numbers 0100-0199 reserved for fictitious use"),
    NumberRange("GB", r"447700900\d{3}", "07700 900000-900999 (mobile)", _OFCOM),
    NumberRange("GB", r"441632960\d{3}", "01632 960000-960999", _OFCOM),
    NumberRange("GB", r"442079460\d{3}", "020 7946 0000-0999 (London)", _OFCOM),
    NumberRange("GB", r"441\d{2}4960\d{3}", "01xx 496 0000-0999 (geographic)", _OFCOM),
    NumberRange("GB", r"441914980\d{3}", "0191 498 0000-0999 (Tyneside)", _OFCOM),
    NumberRange("GB", r"442920180\d{3}", "029 2018 0000-0999 (Cardiff)", _OFCOM),
    NumberRange("GB", r"442890180\d{3}", "028 9018 0000-0999 (Belfast)", _OFCOM),
    NumberRange("GB", r"442896496\d{3}", "028 9649 6000-6999 (Belfast)", _OFCOM),
    NumberRange("GB", r"448081570\d{3}", "0808 157 0000-0999 (freephone)", _OFCOM),
    NumberRange("GB", r"449098790\d{3}", "0909 879 0000-0999 (premium rate)", _OFCOM),
    NumberRange("GB", r"443069990\d{3}", "03069 990000-990999 (non-geographic)", _OFCOM),
    NumberRange("AU", r"6149157\d{4}", "0491 570 000-0491 579 999 (mobile)", _ACMA),
    NumberRange("AU", r"61[2378]5550\d{4}", "(02|03|07|08) 5550 xxxx", _ACMA),
    NumberRange("AU", r"61[2378]7010\d{4}", "(02|03|07|08) 7010 xxxx", _ACMA),
    NumberRange("AU", r"611800160401", "1800 160 401", _ACMA),
    NumberRange("AU", r"611800975707", "1800 975 707", _ACMA),
    NumberRange("AU", r"611900654321", "1900 654 321", _ACMA),
    NumberRange("FR", r"3319900\d{4}", "01 99 00 xx xx", _ARCEP),
    NumberRange("FR", r"3326191\d{4}", "02 61 91 xx xx", _ARCEP),
    NumberRange("FR", r"3335301\d{4}", "03 53 01 xx xx", _ARCEP),
    NumberRange("FR", r"3346571\d{4}", "04 65 71 xx xx", _ARCEP),
    NumberRange("FR", r"3353649\d{4}", "05 36 49 xx xx", _ARCEP),
    NumberRange("FR", r"3363998\d{4}", "06 39 98 xx xx", _ARCEP),
    NumberRange("DE", r"493023125\d*", "030 23125 xxx (Berlin)", _BNETZA),
    NumberRange("DE", r"496990009\d*", "069 90009 xxx (Frankfurt)", _BNETZA),
    NumberRange("DE", r"494066969\d*", "040 66969 xxx (Hamburg)", _BNETZA),
    NumberRange("DE", r"492214710\d*", "0221 4710 xxx (Cologne)", _BNETZA),
    NumberRange("DE", r"498999998\d*", "089 99998 xxx (Munich)", _BNETZA),
)  # fmt: skip


def _literal_prefix(pattern: str) -> str:
    """The digits every match of `pattern` starts with: its leading plain digits, less one that
    a quantifier makes optional or repeatable. A pattern with alternatives has none."""
    if "|" in pattern:
        return ""
    digits = pattern[: len(pattern) - len(pattern.lstrip("0123456789"))]
    if digits and pattern[len(digits) : len(digits) + 1] in ("?", "*", "+", "{"):
        return digits[:-1]
    return digits


def _by_literal_prefix() -> PrefixIndex[tuple[NumberRange, ...]]:
    grouped: dict[str, tuple[NumberRange, ...]] = {}
    for number_range in FICTIONAL_RANGES:
        prefix = _literal_prefix(number_range.pattern)
        grouped[prefix] = (*grouped.get(prefix, ()), number_range)
    return PrefixIndex(grouped.items())


# Only the ranges whose literal prefix the number starts with are tried: a handful of dict
# lookups and usually no regular expression at all, instead of every range's pattern.
_INDEX = _by_literal_prefix()
_TABLE_ORDER = {number_range: order for order, number_range in enumerate(FICTIONAL_RANGES)}


def fictional_range(e164_digits: str) -> NumberRange | None:
    """The first range in table order that holds the number."""
    matching = [
        number_range
        for candidates in _INDEX.all(e164_digits)
        for number_range in candidates
        if number_range.matches(e164_digits)
    ]
    return min(matching, key=_TABLE_ORDER.__getitem__, default=None)
