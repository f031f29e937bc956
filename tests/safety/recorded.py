"""Recorded verdicts: every corpus input screened under several organization contexts and
rewritten several ways, with the full verdict (e164, every reason and its message) the screen
gave when the file was recorded. Guards rewrites of the screen for speed: they must change no
verdict and no reason.

    python -m tests.safety.recorded    # rewrite recorded_verdicts.jsonl from the current screen

Record only when a verdict is meant to change, and say which in the commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.safety.corpus import CORPUS
from tocsin.safety import PLATFORM_CONTEXT, ScreeningContext, organization_context, screen

RECORDED_PATH = Path(__file__).with_name("recorded_verdicts.jsonl")

# Contexts that change a verdict: home zones (the US and its territories), international calling
# on and off, an allowlist, and a sanctions list the operator emptied.
CONTEXTS: dict[str, ScreeningContext] = {
    "platform": PLATFORM_CONTEXT,
    "us_domestic": organization_context(home_region="US"),
    "gb_international": organization_context(
        home_region="GB", international_enabled=True, allowed_regions={"US", "DE", "FR", "JM", "IN"}
    ),
    "de_no_sanctions": organization_context(
        home_region="DE",
        international_enabled=True,
        allowed_regions={"RU", "CU", "UA", "GB", "US"},
        sanctioned_regions=frozenset(),
    ),
}

# Full-width forms sit 0xFEE0 above ASCII.
_FULL_WIDTH = {ord(char): ord(char) + 0xFEE0 for char in "0123456789+"}

# Each rewrite takes another path through the normaliser.
REWRITES: dict[str, Callable[[str], str]] = {
    "full-width digits": lambda raw: raw.translate(_FULL_WIDTH),
    "*67 in front": lambda raw: "*67" + raw,
    "extension": lambda raw: raw + " ext. 12",
    "label": lambda raw: "mobile: " + raw + " (work)",
}


@dataclass(frozen=True)
class Case:
    context: str
    region: str | None
    input: str

    def key(self) -> tuple[str, str | None, str]:
        return (self.context, self.region, self.input)


def cases() -> Iterator[Case]:
    for row in CORPUS:
        for name in CONTEXTS:
            yield Case(name, row.region, row.input)
        if row.region is not None:
            yield Case("platform", None, row.input)
        for rewrite in REWRITES.values():
            yield Case("platform", row.region, rewrite(row.input))


def judged(case: Case) -> dict[str, object]:
    verdict = screen(case.input, case.region, CONTEXTS[case.context])
    return {
        "context": case.context,
        "region": case.region,
        "input": case.input,
        "e164": verdict.e164,
        "reasons": [[reason.code.value, reason.message] for reason in verdict.reasons],
    }


def load_recorded() -> dict[tuple[str, str | None, str], dict[str, object]]:
    recorded = {}
    for line in RECORDED_PATH.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        recorded[(entry["context"], entry["region"], entry["input"])] = entry
    return recorded


def record() -> int:
    unique = {case.key(): case for case in cases()}
    lines = [json.dumps(judged(case), ensure_ascii=False) for case in unique.values()]
    RECORDED_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


if __name__ == "__main__":
    print(f"{record()} verdicts recorded in {RECORDED_PATH.name}")
