"""The screening corpus: every row's verdict under the platform policy, and what the corpus must
cover for those verdicts to mean something."""

from __future__ import annotations

import pytest

from tests.safety.corpus import CORPUS, CorpusRow
from tocsin.safety import ReasonCode, screen
from tocsin.safety.tables.emergency import EXTRA_SERVICE_NUMBERS
from tocsin.safety.tables.fictional import FICTIONAL_RANGES
from tocsin.safety.tables.high_risk import RISKY_PREFIXES
from tocsin.safety.tables.sanctions import OCCUPIED_TERRITORY_PREFIXES
from tocsin.safety.tables.tariffs import TARIFF_RANGES

ORGANIZATION_CODES = {ReasonCode.INTERNATIONAL_DISABLED, ReasonCode.COUNTRY_NOT_ALLOWED}


def e164_digits(row: CorpusRow) -> str:
    e164 = screen(row.input, row.region).e164
    return e164[1:] if e164 else ""


@pytest.mark.parametrize("row", CORPUS, ids=lambda row: row.id)
def test_corpus_row_gets_its_verdict_and_reason(row: CorpusRow) -> None:
    verdict = screen(row.input, row.region)
    assert verdict.verdict == row.expected_verdict, verdict.as_dict()
    if row.expected_code:
        assert row.expected_code in verdict.codes, verdict.as_dict()


def test_corpus_is_large_and_international() -> None:
    countries = {row.country for row in CORPUS if row.country}
    assert len(CORPUS) >= 400
    assert len(countries) >= 35, sorted(countries)


def test_corpus_has_every_platform_reason_code() -> None:
    codes = {row.expected_code for row in CORPUS if row.expected_code}
    assert codes == {code.value for code in ReasonCode if code not in ORGANIZATION_CODES}


def test_corpus_has_ordinary_numbers_beside_the_dangerous_ones() -> None:
    allowed = [row for row in CORPUS if row.expected_verdict == "allow"]
    assert len(allowed) >= 200
    assert len({row.country for row in allowed}) >= 35


def test_every_fictional_range_has_a_corpus_row() -> None:
    matched = {
        number_range
        for row in CORPUS
        if row.expected_code == "test_number"
        for number_range in FICTIONAL_RANGES
        if number_range.matches(e164_digits(row))
    }
    assert [r.description for r in FICTIONAL_RANGES if r not in matched] == []


def test_every_high_risk_prefix_has_a_corpus_row() -> None:
    rows = [row for row in CORPUS if row.expected_code == "high_risk"]
    missing = [
        entry.prefix
        for entry in RISKY_PREFIXES
        if not any(e164_digits(row).startswith(entry.prefix) for row in rows)
    ]
    assert missing == []


def test_every_occupied_territory_prefix_has_a_corpus_row() -> None:
    rows = [row for row in CORPUS if row.expected_code == "sanctioned"]
    missing = [
        entry.prefix
        for entry in OCCUPIED_TERRITORY_PREFIXES
        if not any(e164_digits(row).startswith(entry.prefix) for row in rows)
    ]
    assert missing == []


def test_every_extra_service_number_has_a_corpus_row() -> None:
    listed = {(row.region, row.input) for row in CORPUS}
    missing = [
        (entry.region, entry.number)
        for entry in EXTRA_SERVICE_NUMBERS
        if (entry.region, entry.number) not in listed
    ]
    assert missing == []


def test_every_tariff_range_has_a_corpus_row() -> None:
    rows = [row for row in CORPUS if row.expected_code == "shared_cost"]
    missing = [
        entry.prefix
        for entry in TARIFF_RANGES
        if not any(e164_digits(row).startswith(entry.prefix) for row in rows)
    ]
    assert missing == []
