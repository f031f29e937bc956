"""The screening corpus (corpus.tsv beside this file), read into rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import phonenumbers

CORPUS_PATH = Path(__file__).with_name("corpus.tsv")
COLUMNS = ("region", "input", "expected_verdict", "expected_code", "note")


@dataclass(frozen=True)
class CorpusRow:
    line: int
    region: str | None
    input: str
    expected_verdict: str
    expected_code: str | None
    note: str

    @property
    def id(self) -> str:
        return f"line {self.line}: {self.note}"

    @property
    def country(self) -> str | None:
        """The country the number belongs to: its row's region, else its country code's main
        region (None for non-geographic codes and inputs that are no number at all)."""
        if self.region:
            return self.region
        try:
            number = phonenumbers.parse(self.input.removeprefix("tel:"), None)
        except phonenumbers.NumberParseException:
            return None
        region = phonenumbers.region_code_for_number(number) or (
            phonenumbers.region_code_for_country_code(number.country_code or 0)
        )
        return None if region in ("ZZ", "001") else region


def load_corpus() -> list[CorpusRow]:
    rows = []
    lines = CORPUS_PATH.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if tuple(fields) == COLUMNS:
            continue
        if len(fields) != len(COLUMNS):
            raise ValueError(f"{CORPUS_PATH.name} line {number}: want {len(COLUMNS)} columns")
        region, raw, verdict, code, note = fields
        if verdict not in ("allow", "block") or (verdict == "block") != bool(code):
            raise ValueError(f"{CORPUS_PATH.name} line {number}: bad verdict or code")
        rows.append(CorpusRow(number, region or None, raw, verdict, code or None, note))
    return rows


CORPUS = load_corpus()
