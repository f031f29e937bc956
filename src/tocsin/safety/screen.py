"""The safety screen: may a number be called at all, by this organization?

Pure functions over `phonenumbers` metadata and the curated tables; no I/O. The rule that
matters most: anything the screen cannot classify with certainty is blocked.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata, shortnumberinfo
from phonenumbers import PhoneNumberType as Type
from phonenumbers.shortnumberinfo import ShortNumberCost

from tocsin.safety.context import PLATFORM_CONTEXT, ScreeningContext
from tocsin.safety.normalise import MAX_INPUT_CHARACTERS, Reading, normalise
from tocsin.safety.reasons import Reason, ReasonCode, Verdict
from tocsin.safety.tables.emergency import service_number, service_numbers_anywhere
from tocsin.safety.tables.fictional import fictional_range
from tocsin.safety.tables.high_risk import (
    NANP_FOREIGN_AREA_CODES,
    TOLL_FREE_COUNTRY_CODES,
    home_zone,
    risky_prefix,
)
from tocsin.safety.tables.sanctions import occupied_prefix
from tocsin.safety.tables.tariffs import tariff_range

Code = ReasonCode

# The screen checks numbers of every region, more metadata patterns than `re`'s own cache holds;
# without this every check would compile its patterns again. Older phonenumbers releases (the
# project allows >=8.13) lack the switch and are merely slower.
_enable_pattern_cache = getattr(phonenumbers, "enable_pattern_cache", None)
if _enable_pattern_cache is not None:
    _enable_pattern_cache()

# Shorter than any subscriber number in most plans; such digit strings are service codes unless
# the metadata says they are a valid line (Andorra, the Faroes, Greenland... have 5-6 digits).
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


def _short_number(national: str, region: str) -> phonenumbers.PhoneNumber:
    """`national` as a short number of `region`, leading zeros kept ("000" stays "000")."""
    significant = national.lstrip("0") or "0"
    zeros = len(national) - len(significant)
    return phonenumbers.PhoneNumber(
        country_code=phonenumbers.country_code_for_region(region),
        national_number=int(significant),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros or None,
    )


def _has_trunk_prefix(national: str, region: str) -> bool:
    """Whether `national` starts with the region's trunk prefix, or the region has none."""
    metadata = PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata is not None else None
    return not prefix or national.startswith(prefix)


def _without_trunk_prefix(national: str, region: str) -> list[str]:
    """The digits as dialled, and without the national (trunk) prefix: "1-911" in the US and
    "0112" in Germany are read as 911 and 112 too."""
    metadata = PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata is not None else None
    if prefix and national.startswith(prefix) and len(national) > len(prefix):
        return [national, national[len(prefix) :]]
    return [national]


def _emergency_reasons(national: str, region: str) -> list[Reason]:
    for digits in _without_trunk_prefix(national, region):
        if shortnumberinfo.connects_to_emergency_number(digits, region):
            return [_reason(Code.EMERGENCY, f"{national} is an emergency number in {region}")]
        extra = service_number(region, digits)
        if extra is not None and extra.emergency:
            return [_reason(Code.EMERGENCY, f"{national} is {extra.description} in {region}")]
    return []


def _short_number_reasons(national: str, region: str) -> list[Reason]:
    """Emergency and service codes, judged as dialled inside `region`. A short digit string that
    is neither is no phone line either: invalid."""
    reasons = _emergency_reasons(national, region)
    if reasons:
        return reasons
    extra = next(
        (
            entry
            for digits in _without_trunk_prefix(national, region)
            if (entry := service_number(region, digits)) is not None
        ),
        None,
    )
    if extra is not None:
        return [_reason(Code.SHORT_CODE, f"{national} is {extra.description} in {region}")]
    if (
        len(national) > SHORT_NUMBER_MAX_DIGITS
        or region not in shortnumberinfo.SUPPORTED_SHORT_REGIONS
    ):
        return [_reason(Code.INVALID, f"{national} is not a phone number in {region}")]
    short = _short_number(national, region)
    if not shortnumberinfo.is_valid_short_number_for_region(short, region):
        return [_reason(Code.INVALID, f"{national} is too short to be a phone number")]
    if shortnumberinfo.expected_cost_for_region(short, region) == ShortNumberCost.PREMIUM_RATE:
        reasons.append(_reason(Code.PREMIUM_RATE, f"{national} is a premium-rate short code"))
    reasons.append(_reason(Code.SHORT_CODE, f"{national} is a short code in {region}"))
    return reasons


@functools.cache
def _emergency_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Every region's emergency-number pattern, compiled once: a number without a region is
    matched against them all, rather than asking `shortnumberinfo` region by region."""
    patterns = []
    for region in sorted(shortnumberinfo.SUPPORTED_SHORT_REGIONS):
        metadata = PhoneMetadata.short_metadata_for_region(region)
        emergency = metadata.emergency if metadata is not None else None
        if emergency is not None and emergency.national_number_pattern:
            patterns.append((region, re.compile(emergency.national_number_pattern)))
    return tuple(patterns)


def _anywhere_reasons(digits: str) -> list[Reason]:
    """A national number with no region: dangerous if it is an emergency number anywhere.
    Longer digit strings are no emergency number anywhere (the metadata's longest has six
    digits; a test keeps that so), and need a region to mean anything."""
    if len(digits) > SHORT_NUMBER_MAX_DIGITS:
        return [_reason(Code.INVALID, "a national number needs a region; write it as +CC...")]
    regions = {region for region, pattern in _emergency_patterns() if pattern.fullmatch(digits)}
    extras = service_numbers_anywhere(digits)
    regions |= {entry.region for entry in extras if entry.emergency}
    if regions:
        shown = ", ".join(sorted(regions)[:8]) + (" and others" if len(regions) > 8 else "")
        return [_reason(Code.EMERGENCY, f"{digits} is an emergency number in {shown}")]
    if extras:
        entry = extras[0]
        return [_reason(Code.SHORT_CODE, f"{digits} is {entry.description} in {entry.region}")]
    return [_reason(Code.INVALID, f"{digits} is too short to be a phone number")]


def _range_reasons(
    number: phonenumbers.PhoneNumber, region: str | None, context: ScreeningContext
) -> list[Reason]:
    """Table lookups that hold whether or not the metadata thinks the number is valid."""
    e164_digits = f"{number.country_code}{phonenumbers.national_significant_number(number)}"
    reasons: list[Reason] = []
    fiction = fictional_range(e164_digits)
    if fiction is not None:
        reasons.append(_reason(Code.TEST_NUMBER, f"fictional/test range {fiction.description}"))
    occupied = occupied_prefix(e164_digits)
    if occupied is not None:
        reasons.append(_reason(Code.SANCTIONED, f"sanctioned territory: {occupied.description}"))
    elif region is not None and region in context.sanctioned_regions:
        reasons.append(_reason(Code.SANCTIONED, f"numbers in {region} are under sanctions"))
    if str(number.country_code) in TOLL_FREE_COUNTRY_CODES:
        reasons.append(_reason(Code.TOLL_FREE, "international freephone number (+800)"))
    risky = risky_prefix(e164_digits)
    if risky is not None:
        reasons.append(_reason(Code.HIGH_RISK, f"high-risk destination: {risky.description}"))
    tariff = tariff_range(e164_digits)
    if tariff is not None:
        reasons.append(_reason(tariff.code, tariff.description))
    national = e164_digits[1:]
    if number.country_code == 1 and len(national) == 10 and national[4:6] == "11":
        # The metadata accepts +1 212 911 1234, but N11 (211, 311 ... 911) are service codes
        # in the NANP and never a central office: no line answers there (issue 17).
        reasons.append(
            _reason(
                Code.INVALID,
                f"{national[3:6]} is a NANP service code, not an exchange: no line has this number",
            )
        )
    return reasons


def _number_region(number: phonenumbers.PhoneNumber) -> str | None:
    if number.country_code == 1:
        area_code = phonenumbers.national_significant_number(number)[:3]
        foreign = NANP_FOREIGN_AREA_CODES.get(area_code)
        if foreign is not None:
            return foreign
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        regions = phonenumbers.region_codes_for_country_code(number.country_code or 0)
        region = regions[0] if len(regions) == 1 else None
    return region


def _context_reasons(region: str | None, context: ScreeningContext) -> list[Reason]:
    """Organization policy. A number whose country is unknown, or that belongs to no country
    (+800, +870...), is never in the home zone nor in an allowlist."""
    if context.home_region is None:
        return []
    if region is not None and region in home_zone(context.home_region):
        return []
    where = region if region not in (None, "001") else "an international network"
    if not context.international_enabled:
        message = f"{where} is outside {context.home_region}; international calling is off"
        return [_reason(Code.INTERNATIONAL_DISABLED, message)]
    if region is None or region not in context.allowed_regions:
        return [_reason(Code.COUNTRY_NOT_ALLOWED, f"calls to {where} are not enabled")]
    return []


def _short_service(number: phonenumbers.PhoneNumber, national: str, regions: list[str]) -> bool:
    """Whether a short national number is (also) an emergency or service code somewhere."""
    for region in regions:
        if _emergency_reasons(national, region) or service_number(region, national):
            return True
        if shortnumberinfo.is_valid_short_number_for_region(number, region):
            return True
    return False


def _is_line(
    number: phonenumbers.PhoneNumber, number_type: int, national: str, regions: list[str]
) -> bool:
    """A number of at most SHORT_NUMBER_MAX_DIGITS is a line only when the metadata says it is a
    valid number of a known type and it is no short code in its region."""
    return number_type != Type.UNKNOWN and not _short_service(number, national, regions)


def _parse(dialable: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(dialable, region)
    except phonenumbers.NumberParseException:
        return None


def _regions_sharing(number: phonenumbers.PhoneNumber, number_region: str | None) -> list[str]:
    """The region to judge a short number in; when the number has none (an invalid short number
    has no single region), every region that shares its country code."""
    if number_region not in (None, "001"):
        return [number_region]
    shared = phonenumbers.region_codes_for_country_code(number.country_code or 0)
    return [region for region in shared if region != "001"] or ["ZZ"]


def _judge(
    reading: Reading, region: str | None, context: ScreeningContext
) -> tuple[str | None, list[Reason]]:
    dialable = reading.dialable
    national_input = not dialable.startswith("+")
    if national_input and region is None:
        return None, _anywhere_reasons(dialable)
    # Dialled inside `region`, a short input is a service code unless it is a whole subscriber
    # number, written with the trunk prefix where the country has one ("17057" in Austria is a
    # service code, not Vienna without its 0).
    short_input = (
        national_input
        and region is not None
        and (len(dialable) <= SHORT_NUMBER_MAX_DIGITS or service_number(region, dialable))
    )
    number = _parse(dialable, region)
    if short_input and region is not None:
        number_type = phonenumbers.number_type(number) if number is not None else Type.UNKNOWN
        if (
            number is None
            or not _has_trunk_prefix(dialable, region)
            or not _is_line(number, number_type, dialable, [region])
        ):
            return None, _short_number_reasons(dialable, region)
    if number is None:
        return None, [_reason(Code.INVALID, "not a phone number")]

    # UNKNOWN exactly when the metadata does not hold the number valid.
    number_type = phonenumbers.number_type(number)
    number_region = _number_region(number)
    national = phonenumbers.national_significant_number(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    reasons = _range_reasons(number, number_region, context)
    if len(national) <= SHORT_NUMBER_MAX_DIGITS and not short_input:
        # "+1 911" or "+44 999": a short code behind a country code.
        regions = _regions_sharing(number, number_region)
        if not _is_line(number, number_type, national, regions):
            for short_region in regions:
                reasons += _short_number_reasons(national, short_region)
            return None, reasons
    if number_type == Type.UNKNOWN:
        if not reasons:
            reasons.append(_reason(Code.INVALID, "not a valid, assigned number"))
        return e164, reasons
    if number_type in _TYPE_REASONS and tariff_range(e164[1:]) is None:
        # A curated tariff range corrects the metadata's type; otherwise the type decides.
        reasons.append(_reason(*_TYPE_REASONS[number_type]))
    elif number_type not in _CALLABLE_TYPES:
        reasons.append(_reason(Code.INVALID, "the kind of number could not be determined"))
    reasons += _context_reasons(number_region, context)
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
    if len(raw_number) > MAX_INPUT_CHARACTERS or len(region or "") > MAX_INPUT_CHARACTERS:
        # Judged at once (no number or region is this long), and kept out of the cache, which
        # would otherwise hold whatever size was sent.
        return _screen(raw_number, region, context)
    return _remembered_screen(raw_number, region, context)


def forget_verdicts() -> None:
    """Empty the verdict cache, so the next screens pay the whole cost (the benchmark's
    first-sight figure)."""
    _remembered_screen.cache_clear()


def _screen(raw_number: str, region: str | None, context: ScreeningContext) -> Verdict:
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


# A verdict depends on nothing but the three arguments (the tables and the `phonenumbers`
# metadata are constants of the process; the context carries the organization's countries and the
# sanctions list), and the same numbers come back: every dial re-screens its contact's number.
# Verdicts are frozen, so one can be handed to every caller.
VERDICT_CACHE_SIZE = 4096
_remembered_screen = functools.lru_cache(maxsize=VERDICT_CACHE_SIZE)(_screen)


def region_of(raw_number: str) -> str | None:
    """The country a number in international form belongs to, if it is a valid number."""
    verdict = screen(raw_number)
    if verdict.e164 is None:
        return None
    region = phonenumbers.region_code_for_number(phonenumbers.parse(verdict.e164))
    return region if region not in (None, "001") else None
