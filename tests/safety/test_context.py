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
from tocsin.safety.tables.high_risk import NANP_FOREIGN_AREA_CODES, RISKY_PREFIXES

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
        ("+1 721 520 5678", "SX"),
    ],
)
def test_nanp_area_codes_of_other_countries_are_international(number: str, country: str) -> None:
    verdict = screen(number, None, US_DOMESTIC)
    assert "international_disabled" in verdict.codes
    international = next(r for r in verdict.reasons if r.code == "international_disabled")
    assert country in international.message


# Issue 17, finding 13: +1 876 and the other Caribbean area codes look domestic to a North
# American caller, bill at international rates, and are where one-ring scams cash out.
ONE_RING = ["+1 876 210 1234", "+1 268 464 1234", "+1 809 234 5678", "+1 473 403 1234"]


@pytest.mark.parametrize("number", ONE_RING)
def test_caribbean_one_ring_area_codes_are_high_risk_for_everyone(number: str) -> None:
    country = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    contexts = [
        PLATFORM_CONTEXT,
        US_DOMESTIC,
        organization_context(
            home_region="US", international_enabled=True, allowed_regions={country}
        ),
        organization_context(
            home_region="CA", international_enabled=True, allowed_regions={country}
        ),
        # Nobody vouches for an organization's home country: a home of its own would
        # otherwise make the fraud range domestic.
        organization_context(home_region=country),
    ]
    for context in contexts:
        verdict = screen(number, None, context)
        assert not verdict.allowed, context
        assert verdict.codes[0] == "high_risk", (context, verdict.as_dict())


def test_a_one_ring_number_typed_as_a_us_number_is_high_risk() -> None:
    assert codes("876-210-1234", US_DOMESTIC, region="US")[0] == "high_risk"
    assert codes("1 (268) 464-1234", US_DOMESTIC, region="US")[0] == "high_risk"


def test_diego_garcia_and_barbados_are_told_apart() -> None:
    barbados = screen("+1 246 250 1234").reasons[0].message
    diego_garcia = screen("+246 380 1234").reasons[0].message
    assert "Barbados" in barbados
    assert "Diego Garcia" in diego_garcia


def test_canada_is_international_for_a_us_organization_and_the_us_for_a_canadian_one() -> None:
    assert codes("+1 506 234 5678", US_DOMESTIC) == ["international_disabled"]
    assert codes("+1 212 476 2931", organization_context(home_region="CA")) == [
        "international_disabled"
    ]


@pytest.mark.parametrize("territory", ["PR", "VI", "GU", "AS", "MP"])
def test_an_organization_in_a_us_territory_calls_the_mainland_and_the_territories_at_home(
    territory: str,
) -> None:
    """US carriers dial the territories as domestic numbers, and the territories the mainland."""
    at_home = organization_context(home_region=territory)
    assert codes("+1 212 476 2931", at_home) == []
    assert codes("+1 787 234 5678", at_home) == []
    assert codes("+1 671 300 1234", at_home) == []
    assert codes("+1 506 234 5678", at_home) == ["international_disabled"]


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


def test_every_foreign_nanp_area_code_is_a_one_ring_prefix_and_no_other() -> None:
    foreign = {f"1{code}" for code in NANP_FOREIGN_AREA_CODES}
    nanp_risky = {entry.prefix for entry in RISKY_PREFIXES if entry.prefix.startswith("1")}
    assert nanp_risky == foreign


def test_a_remembered_verdict_is_never_given_under_another_context() -> None:
    """Verdicts are cached: the same number screened in turn under contexts that judge it
    differently gets each context's own verdict, every time."""
    us_with_jamaica = organization_context(
        home_region="US", international_enabled=True, allowed_regions={"GB", "JM"}
    )
    expected = [
        (PLATFORM_CONTEXT, []),
        (US_DOMESTIC, ["international_disabled"]),
        (GB_ONLY, []),
        (
            organization_context(home_region="US", international_enabled=True),
            ["country_not_allowed"],
        ),
        (us_with_jamaica, []),
    ]
    for _ in range(2):
        for context, want in expected:
            assert codes("+44 7400 123456", context) == want, context


def test_a_remembered_verdict_follows_the_operators_sanctions_list() -> None:
    without_sanctions = ScreeningContext(sanctioned_regions=frozenset())
    for _ in range(2):
        assert codes("+7 912 345 6789", PLATFORM_CONTEXT) == ["sanctioned"]
        assert codes("+7 912 345 6789", without_sanctions) == []


def test_a_context_given_plain_sets_still_screens() -> None:
    # The cache keys on the context; a set where the annotation says frozenset must not make
    # every screen fail as unhashable.
    context = ScreeningContext(
        home_region="US",
        international_enabled=True,
        allowed_regions={"GB"},  # type: ignore[arg-type]
        sanctioned_regions={"RU"},  # type: ignore[arg-type]
    )
    assert codes("+44 7400 123456", context) == []
    assert codes("+7 912 345 6789", context)[0] == "sanctioned"
