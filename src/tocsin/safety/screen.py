"""The safety screen: may a number be called at all, by this organization?

Pure functions over `phonenumbers` metadata and the curated tables; no I/O. The rule that
matters most: anything the screen cannot classify with certainty is blocked.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType as Type
from phonenumbers import shortnumberinfo
from phonenumbers.shortnumberinfo import ShortNumberCost

from tocsin.safety.context import PLATFORM_CONTEXT, ScreeningContext
from tocsin.safety.normalise import Reading, normalise
from tocsin.safety.reasons import Reason, ReasonCode, Verdict
from tocsin.safety.tables.emergency import service_number, service_number_anywhere
from tocsin.safety.tables.fictional import fictional_range
from tocsin.safety.tables.high_risk import (
    NANP_FOREIGN_AREA_CODES,
    TOLL_FREE_COUNTRY_CODES,
    home_zone,
    risky_prefix,
)
from tocsin.safety.tables.sanctions import occupied_prefix

Code = ReasonCode

# Shorter than any subscriber number in any plan; such digit strings are service codes.
SHORT_NUMBER_MAX_DIGITS = 6

_TYPE_REASONS: dict[int, tuple[ReasonCode, str]] = {
    Type.PREMIUM_RATE: (Code.PREMIUM_RATE, "premium-rate number: the caller pays a high tariff"),
    Type.SHARED_COST: (Code.SHARED_COST, "shared-cost number: not a personal line"),
    Type.TOLL_FREE: (Code.TOLL_FREE, "toll-free number: a business line, not a person's phone"),
    Type.PAGER: (Code.NOT_VOICE, "pager number: cannot take a voice call"),
    Type.VOICEMAIL: (Code.NOT_VOICE, "voicemail access number: nobody answers it"),
    Type.UAN: (Code.NOT_VOICE, "universal access number: a company switchboard"),
    Type.PERSONAL_NUMBER: (Code.NOT_VOICE, "personal (follow-me) number: costly and often abused"),
}
_CALLABLE_TYPES = frozenset({Type.FIXED_LINE, Type.MOBILE, Type.FIXED_LINE_OR_MOBILE, Type.VOIP})

# Reasons that block even when they come from a speculative reading of the input.
_DANGEROUS = frozenset(
    {
        Code.EMERGENCY,
        Code.PREMIUM_RATE,
        Code.SHARED_COST,
        Code.TOLL_FREE,
        Code.TEST_NUMBER,
        Code.SANCTIONED,
        Code.HIGH_RISK,
    }
)


def _reason(code: ReasonCode, message: str) -> Reason:
    return Reason(code, message)


def _short_number_reasons(national: str, region: str) -> list[Reason]:
    """Emergency and service codes, judged as dialled inside `region`."""
    reasons: list[Reason] = []
    if shortnumberinfo.is_emergency_number(national, region) or (
        shortnumberinfo.connects_to_emergency_number(national, region)
    ):
        reasons.append(_reason(Code.EMERGENCY, f"{national} is an emergency number in {region}"))
    extra = service_number(region, national)
    if extra is not None and extra.emergency and not reasons:
        reasons.append(_reason(Code.EMERGENCY, f"{national} is {extra.description} in {region}"))
    if reasons or len(national) > SHORT_NUMBER_MAX_DIGITS:
        return reasons
    short = phonenumbers.parse(national, region) if national else None
    if short is not None and shortnumberinfo.is_valid_short_number_for_region(short, region):
        cost = shortnumberinfo.expected_cost_for_region(short, region)
        if cost == ShortNumberCost.PREMIUM_RATE:
            reasons.append(_reason(Code.PREMIUM_RATE, f"{national} is a premium-rate short code"))
    description = extra.description if extra is not None else "a short code"
    reasons.append(_reason(Code.SHORT_CODE, f"{national} is {description}, not a phone line"))
    return reasons


def _anywhere_short_reasons(digits: str) -> list[Reason]:
    """A national number with no region: dangerous if it is an emergency number anywhere."""
    regions = sorted(
        region
        for region in shortnumberinfo.SUPPORTED_SHORT_REGIONS
        if shortnumberinfo.is_emergency_number(digits, region)
    )
    extra = service_number_anywhere(digits)
    if extra is not None and extra.emergency:
        regions = sorted({*regions, extra.region})
    if regions:
        shown = ", ".join(regions[:8]) + (" and others" if len(regions) > 8 else "")
        return [_reason(Code.EMERGENCY, f"{digits} is an emergency number in {shown}")]
    if len(digits) <= SHORT_NUMBER_MAX_DIGITS:
        return [_reason(Code.SHORT_CODE, f"{digits} is too short to be a phone line")]
    return []


def _range_reasons(e164_digits: str, region: str | None, context: ScreeningContext) -> list[Reason]:
    """Table lookups that hold whether or not the metadata thinks the number is valid."""
    reasons: list[Reason] = []
    fiction = fictional_range(e164_digits)
    if fiction is not None:
        reasons.append(_reason(Code.TEST_NUMBER, f"fictional/test range {fiction.description}"))
    occupied = occupied_prefix(e164_digits)
    if occupied is not None:
        reasons.append(_reason(Code.SANCTIONED, f"sanctioned territory: {occupied.description}"))
    elif region is not None and region in context.sanctioned_regions:
        reasons.append(_reason(Code.SANCTIONED, f"numbers in {region} are under sanctions"))
    country_code = _country_code(e164_digits)
    if country_code in TOLL_FREE_COUNTRY_CODES:
        reasons.append(_reason(Code.TOLL_FREE, "international freephone number (+800)"))
    risky = risky_prefix(e164_digits)
    if risky is not None:
        reasons.append(_reason(Code.HIGH_RISK, f"high-risk destination: {risky.description}"))
    return reasons


def _country_code(e164_digits: str) -> str:
    for length in (1, 2, 3):
        candidate = e164_digits[:length]
        if phonenumbers.region_code_for_country_code(int(candidate)) != "ZZ":
            return candidate
    return ""


def _number_region(number: phonenumbers.PhoneNumber, e164_digits: str) -> str | None:
    if number.country_code == 1:
        foreign = NANP_FOREIGN_AREA_CODES.get(e164_digits[1:4])
        if foreign is not None:
            return foreign
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
        region = regions[0] if len(regions) == 1 else None
    return region


def _context_reasons(region: str | None, context: ScreeningContext) -> list[Reason]:
    if context.home_region is None or region is None or region == "001":
        return []
    if region in home_zone(context.home_region):
        return []
    if not context.international_enabled:
        return [
            _reason(
                Code.INTERNATIONAL_DISABLED,
                f"{region} is outside {context.home_region}; international calling is off",
            )
        ]
    if region not in context.allowed_regions:
        return [_reason(Code.COUNTRY_NOT_ALLOWED, f"calls to {region} are not enabled")]
    return []


def _judge(
    reading: Reading, region: str | None, context: ScreeningContext
) -> tuple[str | None, list[Reason]]:
    dialable = reading.dialable
    if not dialable.startswith("+"):
        if region is None:
            reasons = _anywhere_short_reasons(dialable)
            return None, reasons or [
                _reason(Code.INVALID, "a national number needs a region; write it as +CC...")
            ]
        if len(dialable) <= SHORT_NUMBER_MAX_DIGITS or service_number(region, dialable):
            return None, _short_number_reasons(dialable, region)
    try:
        number = phonenumbers.parse(dialable, region)
    except phonenumbers.NumberParseException:
        return None, [_reason(Code.INVALID, "not a phone number")]

    e164_digits = f"{number.country_code}{number.national_number}"
    number_region = _number_region(number, e164_digits)
    national = phonenumbers.national_significant_number(number)
    reasons = _range_reasons(e164_digits, number_region, context)
    if len(national) <= SHORT_NUMBER_MAX_DIGITS:
        # "+1 911" or "+44 999": a short code behind a country code. An invalid short number has
        # no single region, so judge it in every region that shares the country code.
        regions = (
            [number_region]
            if number_region not in (None, "001")
            else [
                r
                for r in phonenumbers.region_codes_for_country_code(number.country_code or 0)
                if r != "001"
            ]
        )
        for short_region in regions or ["ZZ"]:
            reasons += _short_number_reasons(national, short_region)
        return None, reasons
    if not phonenumbers.is_valid_number(number):
        if not reasons:
            reasons.append(_reason(Code.INVALID, "not a valid, assigned number"))
        return "+" + e164_digits, reasons
    number_type = phonenumbers.number_type(number)
    if number_type in _TYPE_REASONS:
        code, message = _TYPE_REASONS[number_type]
        if all(reason.code != code for reason in reasons):
            reasons.append(_reason(code, message))
    elif number_type not in _CALLABLE_TYPES:
        reasons.append(_reason(Code.INVALID, "the kind of number could not be determined"))
    reasons += _context_reasons(number_region, context)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, reasons


def _dedupe(reasons: list[Reason]) -> tuple[Reason, ...]:
    """One reason per code, the dangerous ones first."""
    seen: set[ReasonCode] = set()
    unique = []
    for reason in sorted(reasons, key=lambda reason: reason.code not in _DANGEROUS):
        if reason.code not in seen:
            seen.add(reason.code)
            unique.append(reason)
    return tuple(unique)


def screen(
    raw_number: str, region: str | None = None, context: ScreeningContext = PLATFORM_CONTEXT
) -> Verdict:
    """Judge a number as typed. `region` (ISO 3166 alpha-2) reads national formats; for an
    organization it is usually its home country."""
    region = region.strip().upper() if region and region.strip() else None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        reason = _reason(Code.INVALID, f"unknown region {region!r}")
        return Verdict(raw_number, region, None, (reason,))
    normalised = normalise(raw_number, has_region=region is not None)

    e164: str | None = None
    reasons: list[Reason] = []
    if normalised.primary is not None:
        e164, reasons = _judge(normalised.primary, region, context)
    for probe in normalised.probes:
        _, probe_reasons = _judge(probe, region, context)
        reasons += [reason for reason in probe_reasons if reason.code in _DANGEROUS]
    if any(reason.code in _DANGEROUS for reason in reasons):
        reasons = [reason for reason in reasons if reason.code != Code.INVALID]
    if normalised.primary is None and not reasons:
        problems = "; ".join(normalised.problems) or "not a phone number"
        reasons = [_reason(Code.INVALID, problems)]
    return Verdict(raw_number, region, e164, _dedupe(reasons))
