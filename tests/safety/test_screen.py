"""The screen's rules beyond the corpus rows: how input is read, what a verdict carries, and the
assumptions about `phonenumbers` metadata the screen relies on."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneMetadata, shortnumberinfo

from tocsin.safety import ReasonCode, ScreeningContext, screen
from tocsin.safety.normalise import ascii_digits, normalise
from tocsin.safety.screen import SHORT_NUMBER_MAX_DIGITS, _remembered_screen, forget_verdicts


def test_no_emergency_number_anywhere_is_longer_than_a_short_number() -> None:
    # A national number without a region is checked against every region's emergency numbers
    # only up to this length.
    longest = max(
        max(metadata.emergency.possible_length or (0,))
        for region in shortnumberinfo.SUPPORTED_SHORT_REGIONS
        if (metadata := PhoneMetadata.short_metadata_for_region(region)) is not None
        and metadata.emergency is not None
    )
    assert longest <= SHORT_NUMBER_MAX_DIGITS


def test_an_allowed_verdict_carries_the_number_to_dial() -> None:
    verdict = screen("07400 123456", "gb")
    assert verdict.as_dict() == {
        "input": "07400 123456",
        "region": "GB",
        "e164": "+447400123456",
        "verdict": "allow",
        "reasons": [],
    }


def test_a_blocked_verdict_says_why_with_the_dangerous_reason_first() -> None:
    verdict = screen("+44 909 879 0123")
    assert verdict.verdict == "block"
    assert verdict.codes[0] in ("test_number", "premium_rate")
    assert all(reason.message for reason in verdict.reasons)


def test_an_unknown_region_is_invalid() -> None:
    assert screen("07400 123456", "XX").codes == ["invalid"]


def test_a_blank_region_means_none() -> None:
    assert screen("+44 7400 123456", "  ").allowed


@pytest.mark.parametrize(
    ("typed", "ascii"),
    [
        ("\uff10\uff19", "09"),  # full-width
        ("\u0660\u0669", "09"),  # Arabic-Indic
        ("\u0966\u096f", "09"),  # Devanagari
        ("\u2460\u2468", "19"),  # circled
        ("\u1369\u1371", "19"),  # Ethiopic: digits, but not decimal
        ("\U0001d7ce\U0001d7d7", "09"),  # mathematical bold
    ],
)
def test_digits_of_any_script_become_ascii(typed: str, ascii: str) -> None:
    assert ascii_digits(typed) == ascii


def test_a_plus_inside_brackets_still_makes_the_number_international() -> None:
    normalised = normalise("(+44) 7400 123456", has_region=False)
    assert normalised.primary is not None
    assert normalised.primary.dialable == "+447400123456"


def test_without_a_region_00_is_read_as_plus_and_the_digits_as_typed_are_judged_too() -> None:
    normalised = normalise("000", has_region=False)
    readings = [normalised.primary, *normalised.probes]
    assert [reading.dialable for reading in readings if reading] == ["+0", "000"]
    assert screen("000").codes == ["emergency"]


def test_service_codes_are_removed_and_their_digits_also_read_as_part_of_the_number() -> None:
    normalised = normalise("*6712125550123", has_region=True)
    assert normalised.primary is not None
    assert normalised.primary.dialable == "12125550123"
    assert normalised.service_codes == ("*67",)
    assert "6712125550123" in [probe.dialable for probe in normalised.probes]


def test_keypad_letters_are_read_as_digits_too() -> None:
    normalised = normalise("1-900-FLOWERS", has_region=True)
    assert "19003569377" in [probe.dialable for probe in normalised.probes]
    assert screen("1-900-FLOWERS", "US").codes == ["premium_rate"]


def test_letters_inside_a_number_leave_no_main_reading() -> None:
    normalised = normalise("+1 9OO 234 5678", has_region=False)
    assert normalised.primary is None
    assert normalised.problems == ("letters inside the number",)
    assert screen("+1 9OO 234 5678").codes == ["invalid"]


def test_an_extension_is_kept_apart_and_not_judged() -> None:
    normalised = normalise("+44 7400 123456 ext. 999", has_region=False)
    assert normalised.extension == "999"
    assert normalised.primary is not None
    assert normalised.primary.dialable == "+447400123456"


def test_a_short_subscriber_number_is_a_line_where_the_plan_has_them() -> None:
    # Andorra has six-digit numbers; the screen used to call every one a short code.
    assert screen("+376 712 345").allowed
    assert screen("712 345", "AD").allowed


def test_a_short_number_without_the_trunk_prefix_is_not_read_as_a_line() -> None:
    number = phonenumbers.parse("17057", "AT")
    assert phonenumbers.is_valid_number(number)  # the metadata alone would allow it
    assert screen("17057", "AT").codes == ["invalid"]


def test_a_trunk_prefix_in_front_of_an_emergency_number_is_still_an_emergency_number() -> None:
    assert screen("1-911", "US").codes == ["emergency"]
    assert screen("0112", "DE").codes == ["emergency"]


@pytest.mark.parametrize("raw", ["1", "7", "00", ":", "+", "*", "#31#", "tel:", "x1", "\u2460"])
@pytest.mark.parametrize("region", [None, "US", "GB", "FR", "JE"])
def test_scraps_of_input_are_blocked_without_an_error(raw: str, region: str | None) -> None:
    assert not screen(raw, region).allowed


@pytest.mark.parametrize("service", ["211", "311", "411", "511", "611", "711", "811", "911"])
def test_a_nanp_number_with_an_n11_exchange_is_no_line(service: str) -> None:
    """Issue 17, finding 13: +1 212 911 1234 was accepted: N11 codes are services in the NANP,
    never a central office, so no line has such a number."""
    verdict = screen(f"+1212{service}1234", "US", ScreeningContext())
    assert not verdict.allowed
    assert [reason.code for reason in verdict.reasons] == [ReasonCode.INVALID]
    assert service in verdict.reasons[0].message


def test_other_exchanges_and_11_in_the_line_number_are_still_lines() -> None:
    for number in ("+12127211234", "+12127341111", "+14155511111"):
        assert screen(number, "US", ScreeningContext()).allowed, number


def test_inputs_too_long_to_be_numbers_are_judged_but_not_remembered() -> None:
    forget_verdicts()
    assert screen("+44 " + "7" * 100).codes == ["invalid"]
    assert screen("+44 7400 123456", "X" * 100).codes == ["invalid"]
    assert _remembered_screen.cache_info().currsize == 0
    screen("+44 7400 123456")
    assert _remembered_screen.cache_info().currsize == 1
