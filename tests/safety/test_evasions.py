"""Formatting must never smuggle a dangerous number past the screen, and must not make it block
an ordinary one.

Hypothesis writes each dangerous number the ways people (and people trying to get around a
filter) write numbers: digits of other scripts, odd separators, international prefixes, `tel:`
URIs, service codes in front of or inside the number, extensions, labels and keypad letters.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tocsin.safety import screen

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Dangerous:
    """A number in groups: the country code (empty for a short code), then the groups of the
    number as dialled internationally, and as dialled at home (with any trunk prefix)."""

    region: str
    country_code: str
    groups: tuple[str, ...]
    national: tuple[str, ...]
    what: str

    def __str__(self) -> str:
        return self.what


def dangerous(region: str, cc: str, groups: str, national: str, what: str) -> Dangerous:
    return Dangerous(region, cc, tuple(groups.split()), tuple(national.split()), what)


DANGEROUS = [
    dangerous("US", "1", "900 234 5678", "1 900 234 5678", "US premium rate"),
    dangerous("GB", "44", "909 879 0123", "0909 879 0123", "UK premium rate, fictional"),
    dangerous("GB", "44", "901 234 5678", "0901 234 5678", "UK premium rate"),
    dangerous("DE", "49", "900 1 234567", "0900 1 234567", "German premium rate"),
    dangerous("FR", "33", "8 91 12 34 56", "08 91 12 34 56", "French premium rate"),
    dangerous("AU", "61", "1900 123 456", "1900 123 456", "Australian premium rate"),
    dangerous("GB", "44", "845 123 4567", "0845 123 4567", "UK shared cost"),
    dangerous("US", "1", "800 234 5678", "1 800 234 5678", "US toll-free"),
    dangerous("GB", "44", "800 123 4567", "0800 123 4567", "UK freephone"),
    dangerous("DE", "49", "800 1234567890", "0800 1234567890", "German freephone"),
    dangerous("US", "800", "1234 5678", "", "universal freephone +800"),
    dangerous("US", "1", "212 555 0123", "212 555 0123", "NANP fictional"),
    dangerous("GB", "44", "20 7946 0123", "020 7946 0123", "Ofcom drama London"),
    dangerous("GB", "44", "7700 900123", "07700 900123", "Ofcom drama mobile"),
    dangerous("AU", "61", "491 570 156", "0491 570 156", "ACMA fictional mobile"),
    dangerous("FR", "33", "1 99 00 12 34", "01 99 00 12 34", "ARCEP fiction"),
    dangerous("DE", "49", "30 23125 123", "030 23125 123", "BNetzA film number"),
    dangerous("RU", "7", "912 345 6789", "8 912 345 6789", "Russian mobile"),
    dangerous("IR", "98", "912 345 6789", "0912 345 6789", "Iranian mobile"),
    dangerous("CU", "53", "5 123 4567", "05 123 4567", "Cuban mobile"),
    dangerous("KP", "850", "2 123 4567", "02 123 4567", "North Korean fixed line"),
    dangerous("BY", "375", "29 123 4567", "8 029 123 4567", "Belarusian mobile"),
    dangerous("UA", "380", "62 123 4567", "062 123 4567", "occupied Donetsk"),
    dangerous("RU", "7", "978 123 4567", "8 978 123 4567", "occupied Crimea, Russian plan"),
    dangerous("US", "881", "6 1234 5678", "", "satellite +881"),
    dangerous("US", "882", "34 2123 4", "", "international networks +882"),
    dangerous("US", "979", "1 2345 6789", "", "international premium rate +979"),
    dangerous("US", "870", "301 234 567", "", "Inmarsat +870"),
    dangerous("SO", "252", "71 123456", "", "IRSF Somalia"),
    dangerous("US", "1", "911", "911", "US emergency"),
    dangerous("US", "", "", "9 1 1", "US emergency, short"),
    dangerous("US", "", "", "988", "US crisis line"),
    dangerous("GB", "44", "999", "999", "UK emergency"),
    dangerous("GB", "", "", "112", "European emergency"),
    dangerous("AU", "", "", "000", "Australian emergency"),
    dangerous("FR", "", "", "15", "French SAMU"),
    dangerous("IN", "", "", "100", "Indian police"),
    dangerous("BR", "", "", "190", "Brazilian police"),
    dangerous("UA", "", "", "104", "Ukrainian gas emergency"),
    dangerous("AT", "", "", "140", "Austrian mountain rescue"),
]
INTERNATIONAL = [number for number in DANGEROUS if number.country_code]
NATIONAL = [number for number in DANGEROUS if number.national]

# One of each: ASCII, full-width, Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, Thai,
# Mongolian, mathematical bold, circled (not decimal, folded by NFKC).
DIGIT_ZEROS = ["0", "\uff10", "\u0660", "\u06f0", "\u0966", "\u09e6", "\u0e50", "\u1810",
               "\U0001d7ce"]  # fmt: skip
SEPARATORS = [" ", "", "-", ".", "/", "\u00a0", "\u202f", "\u2010", "\u2011", "\u2013", "\u2014",
              "\u2212", "\u200b", " - ", "  ", "\t"]  # fmt: skip
SERVICE_CODES = ["*67", "*82", "#31#", "*31#", "*67 ", "#31# ", "*82 "]
EXTENSIONS = [" x123", "x7", " ext. 5", " ext 12", ";ext=9", ",,123", ",5", " extension 42", "p12"]
LABELS = [" call me", " (mobile)", " mobile", " - office", " [home]", " \u260e"]
KEYPAD = {
    "2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL",
    "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ",
}  # fmt: skip


@st.composite
def script_digits(draw: st.DrawFn, digits: str) -> str:
    """Each digit in a script of its own choosing (mixing scripts in one number)."""
    out = []
    for digit in digits:
        style = draw(st.sampled_from([*DIGIT_ZEROS, "circled"]))
        if style == "circled":
            out.append("\u24ea" if digit == "0" else chr(0x2460 + int(digit) - 1))
        else:
            out.append(chr(ord(style) + int(digit)))
    return "".join(out)


@st.composite
def joined(draw: st.DrawFn, groups: tuple[str, ...]) -> str:
    """Groups in any scripts, with separators (and maybe brackets, maybe a service code)."""
    parts = [draw(script_digits(group)) for group in groups]
    if len(parts) > 1 and draw(st.booleans()):
        parts[0] = f"({parts[0]})"
    text = parts[0]
    for part in parts[1:]:
        separator = draw(st.sampled_from(SEPARATORS))
        if draw(st.integers(0, 5)) == 0:
            separator += draw(st.sampled_from(SERVICE_CODES))
        text += separator + part
    return text


@st.composite
def decorated(draw: st.DrawFn, number: str) -> str:
    """A service code in front, an extension or a label behind."""
    if draw(st.booleans()):
        number = draw(st.sampled_from(SERVICE_CODES)) + number
    tail = draw(st.sampled_from(["none", "extension", "label", "both"]))
    if tail in ("extension", "both"):
        number += draw(st.sampled_from(EXTENSIONS))
    if tail in ("label", "both"):
        number += draw(st.sampled_from(LABELS))
    return number


@st.composite
def international_forms(draw: st.DrawFn) -> tuple[str, str | None, str]:
    number = draw(st.sampled_from(INTERNATIONAL))
    prefix = draw(st.sampled_from(["+", "+ ", "00", "00 ", "011 ", "(+", "\uff0b", "tel:+"]))
    country_code = draw(script_digits(number.country_code))
    head = f"{prefix}{country_code})" if prefix == "(+" else f"{prefix}{country_code}"
    body = draw(joined(number.groups))
    text = draw(decorated(head + draw(st.sampled_from(SEPARATORS)) + body))
    # '+' needs no region; 00 and 011 are read as international without one.
    region = None if prefix.startswith(("00", "011")) else draw(st.sampled_from([None, "US"]))
    return text, region, number.what


@st.composite
def national_forms(draw: st.DrawFn) -> tuple[str, str | None, str]:
    number = draw(st.sampled_from(NATIONAL))
    text = draw(decorated(draw(joined(number.national))))
    if draw(st.booleans()):
        text = "tel:" + text
    return text, number.region, number.what


@given(international_forms())
@PROPERTY_SETTINGS
@example(("+1 900 *67 234 5678", None, "service code between groups"))
@example(("*6719002345678", "US", "service code glued to the number"))
@example(("(+44) 909 879 0123", None, "plus inside brackets"))
def test_dangerous_numbers_in_international_form_are_never_allowed(
    case: tuple[str, str | None, str],
) -> None:
    text, region, what = case
    verdict = screen(text, region)
    assert not verdict.allowed, (what, verdict.as_dict())


@given(national_forms())
@PROPERTY_SETTINGS
@example(("000", "AU", "Australian emergency"))
@example(("9*6711", "US", "service code inside an emergency number"))
@example(("1-911", "US", "emergency behind the trunk prefix"))
def test_dangerous_numbers_in_national_form_are_never_allowed(
    case: tuple[str, str | None, str],
) -> None:
    text, region, what = case
    verdict = screen(text, region)
    assert not verdict.allowed, (what, verdict.as_dict())


@given(st.data())
@PROPERTY_SETTINGS
def test_emergency_numbers_without_a_region_are_never_allowed(data: st.DataObject) -> None:
    digits = data.draw(st.sampled_from(["112", "911", "999", "000", "110", "119", "100", "190"]))
    text = data.draw(decorated(data.draw(joined(tuple(digits)))))
    verdict = screen(text, None)
    assert not verdict.allowed, verdict.as_dict()


VANITY = [
    ("US", "1", "900", "2345678", "US premium rate"),
    ("US", "1", "800", "2345678", "US toll-free"),
    ("US", "1", "888", "3569377", "US toll-free (FLOWERS)"),
    ("US", "1", "212", "5550123", "NANP fictional"),
]


@st.composite
def vanity_forms(draw: st.DrawFn) -> tuple[str, str | None, str]:
    region, cc, area, line, what = draw(st.sampled_from(VANITY))
    # Letters for some of the line's digits (0 and 1 have none), in either case.
    spelled = "".join(
        draw(st.sampled_from(KEYPAD[digit])) if digit in KEYPAD and draw(st.booleans()) else digit
        for digit in line
    )
    if draw(st.booleans()):
        spelled = spelled.lower()
    separator = draw(st.sampled_from(["-", " ", ""]))
    if draw(st.booleans()):
        text = f"+{cc}{separator}{area}{separator}{spelled}"
        return text, draw(st.sampled_from([None, region])), what
    return f"{cc}{separator}{area}{separator}{spelled}", region, what


@given(vanity_forms())
@PROPERTY_SETTINGS
@example(("1-900-FLOWERS", "US", "the classic"))
@example(("+1 888 FLOWERS", None, "letters after the groups"))
def test_vanity_numbers_for_dangerous_numbers_are_never_allowed(
    case: tuple[str, str | None, str],
) -> None:
    text, region, what = case
    verdict = screen(text, region)
    assert not verdict.allowed, (what, verdict.as_dict())


ORDINARY = [
    "+14154763301",
    "+12124762931",
    "+15062345647",
    "+447400123456",
    "+441212345683",
    "+33612345647",
    "+33123456783",
    "+4915123456747",
    "+4930123483",
    "+436641234547",
    "+41781234547",
    "+31612345647",
    "+34612345647",
    "+393123456747",
    "+46701234547",
    "+48512345647",
    "+380501234547",
    "+77710009947",
    "+905012345647",
    "+972502345647",
    "+919812345647",
    "+8613123456747",
    "+819012345647",
    "+821020000047",
    "+6581234547",
    "+61412345647",
    "+6421123447",
    "+5511961234547",
    "+525512345647",
    "+27711234547",
    "+2348021234547",
    "+376312347",
    "+298211247",
]


def national_digits(e164: str) -> tuple[str, str]:
    """The number's region, and the digits of its national format (trunk prefix included)."""
    number = phonenumbers.parse(e164)
    region = phonenumbers.region_code_for_number(number)
    assert region is not None, e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return region, "".join(char for char in national if char.isdigit())


@st.composite
def regrouped(draw: st.DrawFn, digits: str) -> str:
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    pieces = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    separator = draw(st.sampled_from([" ", "-", ""]))
    return separator.join(pieces)


@st.composite
def ordinary_forms(draw: st.DrawFn) -> tuple[str, str | None, str]:
    e164 = draw(st.sampled_from(ORDINARY))
    style = draw(st.sampled_from(["plus", "00", "national"]))
    if style == "national":
        region, digits = national_digits(e164)
        return draw(regrouped(digits)), region, e164
    number = phonenumbers.parse(e164)
    national = phonenumbers.national_significant_number(number)
    prefix = "+" if style == "plus" else "00"
    separator = draw(st.sampled_from([" ", "-", ""]))
    return f"{prefix}{number.country_code}{separator}{draw(regrouped(national))}", None, e164


def test_ordinary_numbers_are_valid_lines() -> None:
    for e164 in ORDINARY:
        verdict = screen(e164)
        assert verdict.allowed, verdict.as_dict()
        assert verdict.e164 == e164


@given(ordinary_forms())
@PROPERTY_SETTINGS
def test_ordinary_numbers_in_simple_formats_stay_allowed_as_the_same_number(
    case: tuple[str, str | None, str],
) -> None:
    text, region, e164 = case
    verdict = screen(text, region)
    assert verdict.allowed, verdict.as_dict()
    assert verdict.e164 == e164


@given(ordinary_forms(), st.sampled_from([*EXTENSIONS, *LABELS]))
@PROPERTY_SETTINGS
def test_extensions_and_labels_do_not_change_an_ordinary_number(
    case: tuple[str, str | None, str], tail: str
) -> None:
    text, region, e164 = case
    verdict = screen(text + tail, region)
    assert verdict.allowed, verdict.as_dict()
    assert verdict.e164 == e164


FUZZ_ALPHABET = st.sampled_from(
    [*"0123456789+*#()-. xXpPwW,;=/", "tel:", "ext", "\uff10", "\u0663", "\u0969", "\u00a0",
     "\u2013", "\u2460", "\u200d", "\u0301", "a", "Z", "O"]
)  # fmt: skip
FUZZ_REGIONS = [None, "US", "GB", "DE", "FR", "AU", "IN", "BR", "AD", "LU", "JE", "RU", "KZ", "ZZ"]


@given(st.lists(FUZZ_ALPHABET, max_size=24).map("".join), st.sampled_from(FUZZ_REGIONS))
@PROPERTY_SETTINGS
@example("1", "GB")
@example("00", "FR")
@example("+881 6 *671234 *675678", None)
def test_any_input_gets_a_verdict_and_an_allowed_one_is_the_number_it_names(
    text: str, region: str | None
) -> None:
    verdict = screen(text, region)
    if verdict.allowed:
        assert verdict.e164 is not None
        again = screen(verdict.e164)
        assert again.allowed, again.as_dict()
        assert again.e164 == verdict.e164
