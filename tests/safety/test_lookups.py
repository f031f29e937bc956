"""The curated tables are looked up by prefix, not scanned: each lookup must find what a scan of
every entry in table order finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.safety.tables.fictional import FICTIONAL_RANGES, NumberRange, fictional_range
from tocsin.safety.tables.high_risk import RISKY_PREFIXES, risky_prefix
from tocsin.safety.tables.prefixes import PrefixIndex
from tocsin.safety.tables.sanctions import OCCUPIED_TERRITORY_PREFIXES, occupied_prefix
from tocsin.safety.tables.tariffs import TARIFF_RANGES, tariff_range


def scanned_fictional_range(e164_digits: str) -> NumberRange | None:
    return next((entry for entry in FICTIONAL_RANGES if entry.matches(e164_digits)), None)


def no_prefix_starts_another(prefixes: list[str]) -> bool:
    return not any(a != b and b.startswith(a) for a in prefixes for b in prefixes)


# Numbers near every table entry: its prefix (or the start of its pattern) and random digits.
_STARTS = sorted(
    {entry.prefix for entry in (*RISKY_PREFIXES, *OCCUPIED_TERRITORY_PREFIXES, *TARIFF_RANGES)}
    | {entry.pattern[:n] for entry in FICTIONAL_RANGES for n in (1, 2, 4)}
    | {"".join(char for char in entry.pattern if char.isdigit())[:12] for entry in FICTIONAL_RANGES}
)
near_entries = st.builds(
    lambda start, rest, cut: (start + rest)[: max(cut, 1)],
    st.sampled_from(_STARTS),
    st.text("0123456789", max_size=12),
    st.integers(min_value=1, max_value=15),
)


@settings(max_examples=500, deadline=None)
@given(near_entries)
def test_the_fictional_index_finds_the_range_a_scan_finds(e164_digits: str) -> None:
    assert fictional_range(e164_digits) == scanned_fictional_range(e164_digits)


def example(pattern: str) -> str:
    r"""A number of the range: each `\d{n}` as n ones, `\d*` as none, a class as its first digit."""
    digits = re.sub(r"\\d\{(\d+)\}", lambda match: "1" * int(match[1]), pattern)
    return re.sub(r"\[(\d)[^\]]*\]", r"\1", digits.replace(r"\d*", ""))


def test_every_fictional_range_is_found_for_its_own_numbers() -> None:
    for entry in FICTIONAL_RANGES:
        assert fictional_range(example(entry.pattern)) == entry, entry.pattern


def test_first_in_table_order_is_the_longest_prefix_for_occupied_and_tariff_ranges() -> None:
    assert no_prefix_starts_another([entry.prefix for entry in OCCUPIED_TERRITORY_PREFIXES])
    assert no_prefix_starts_another([entry.prefix for entry in TARIFF_RANGES])


@settings(max_examples=300, deadline=None)
@given(near_entries)
def test_prefix_lookups_find_what_a_scan_finds(e164_digits: str) -> None:
    def scan(prefixes: list[str]) -> str | None:
        matching = [prefix for prefix in prefixes if e164_digits.startswith(prefix)]
        return max(matching, key=len, default=None)

    found = risky_prefix(e164_digits)
    assert (found.prefix if found else None) == scan([e.prefix for e in RISKY_PREFIXES])
    occupied = occupied_prefix(e164_digits)
    assert (occupied.prefix if occupied else None) == scan(
        [e.prefix for e in OCCUPIED_TERRITORY_PREFIXES]
    )
    tariff = tariff_range(e164_digits)
    assert (tariff.prefix if tariff else None) == scan([e.prefix for e in TARIFF_RANGES])


def test_a_number_shorter_than_a_prefix_is_not_taken_for_it() -> None:
    index = PrefixIndex([("4484", "shared cost"), ("44", "GB")])
    assert index.longest("448") == "GB"
    assert index.longest("4484") == "shared cost"
    assert index.all("44") == ["GB"]
    assert index.all("44841") == ["shared cost", "GB"]
