"""Organization policy on top of the platform screen: home country, international calling (off
by default), the per-country allowlist, and what no organization setting can lift."""

from __future__ import annotations

import phonenumbers
import pytest

from tests.safety.corpus import CORPUS, CorpusRow
from tocsin.safety import (
    PLATFORM_CONTEXT,
    ReasonCode,
    ScreeningContext,
    organization_context,
    screen,
)

EVERY_REGION = frozenset(phonenumbers.SUPPORTED_REGIONS)
US_DOMESTIC = organization_context(home_region="US")
GB_ONLY = organization_context(home_region="US", international_enabled=True, allowed_regions={"GB"})


def codes(raw: str, context: ScreeningContext, region: str | None = None) -> list[str]:
    return screen(raw, region, context).codes


def test_international_calling_is_off_by_default() -> None:
    assert codes("+44 7400 123456", US_DOMESTIC) == ["international_disabled"]


def test_home_country_numbers_are_allowed() -> None:
    assert codes("+1 212 476 2931", US_DOMESTIC) == []
    assert codes("(415) 867-3301", US_DOMESTIC, region="US") == []


@pytest.mark.parametrize(
    ("number", "territory"),
    [
        ("+1 787 234 5678", "Puerto Rico"),
        ("+1 939 234 5678", "Puerto Rico (overlay)"),
        ("+1 340 642 1234", "US Virgin Islands"),
        ("+1 671 300 1234", "Guam"),
        ("+1 684 622 1234", "American Samoa"),
        ("+1 670 234 5678", "Northern Mariana Islands"),
    ],
)
def test_us_territories_are_domestic_for_a_us_organization(number: str, territory: str) -> None:
    assert codes(number, US_DOMESTIC) == [], territory


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+1 876 512 3456", "JM"),
        ("+1 809 234 5678", "DO"),
        ("+1 242 357 1234", "BS"),
        ("+1 441 234 5678", "BM"),
        ("+1 868 291 1234", "TT"),
    ],
)
def test_nanp_area_codes_of_other_countries_are_international(number: str, country: str) -> None:
    verdict = screen(number, None, US_DOMESTIC)
    assert verdict.codes == ["international_disabled"]
    assert country in verdict.reasons[0].message


def test_the_same_nanp_numbers_are_callable_under_the_platform_policy() -> None:
    assert codes("+1 876 512 3456", PLATFORM_CONTEXT) == []


def test_canada_is_international_for_a_us_organization_and_the_us_for_a_canadian_one() -> None:
    assert codes("+1 506 234 5678", US_DOMESTIC) == ["international_disabled"]
    assert codes("+1 212 476 2931", organization_context(home_region="CA")) == [
        "international_disabled"
    ]


def test_an_allowlist_lets_its_countries_through_and_no_other() -> None:
    assert codes("+44 7400 123456", GB_ONLY) == []
    assert codes("+33 6 12 34 56 78", GB_ONLY) == ["country_not_allowed"]
    assert codes("+1 212 476 2931", GB_ONLY) == []


def test_region_codes_are_case_insensitive() -> None:
    context = organization_context(
        home_region="us", international_enabled=True, allowed_regions={"gb"}
    )
    assert codes("+44 7400 123456", context) == []
    assert codes("+1 212 476 2931", context) == []


def test_organization_reasons_are_the_only_ones_an_admin_can_change() -> None:
    lifted = {code for code in ReasonCode if not code.is_platform_block}
    assert lifted == {ReasonCode.INTERNATIONAL_DISABLED, ReasonCode.COUNTRY_NOT_ALLOWED}


def test_occupied_territories_stay_blocked_with_an_empty_sanctions_list() -> None:
    context = organization_context(
        home_region="UA",
        international_enabled=True,
        allowed_regions=EVERY_REGION,
        sanctioned_regions=frozenset(),
    )
    assert codes("+380 62 123 4567", context) == ["sanctioned"]
    assert codes("+7 978 123 4567", context) == ["sanctioned"]


DANGEROUS_ROWS = [row for row in CORPUS if row.expected_verdict == "block"]


def most_permissive_contexts(row: CorpusRow) -> list[ScreeningContext]:
    """International calling on and every country allowed, at home in the US and in the
    number's own country: everything an organization can set."""
    homes = {"US", row.country or "US"}
    return [
        organization_context(
            home_region=home, international_enabled=True, allowed_regions=EVERY_REGION
        )
        for home in sorted(homes)
    ]


@pytest.mark.parametrize("row", DANGEROUS_ROWS, ids=lambda row: row.id)
def test_no_organization_setting_lifts_a_platform_block(row: CorpusRow) -> None:
    for context in most_permissive_contexts(row):
        verdict = screen(row.input, row.region, context)
        assert not verdict.allowed, (context, verdict.as_dict())
        assert row.expected_code in verdict.codes, (context, verdict.as_dict())
        assert any(reason.code.is_platform_block for reason in verdict.reasons)
