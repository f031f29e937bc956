"""Texts that read like a sales pitch, a fundraising or political call, a debt collector or a
survey: calls the acceptable-use policy forbids whatever their content.

The phrases, by category and language, are in `marketing_phrases`. A text scores the weight of
each distinct phrase it contains; one that scores at least the threshold (2) is marketing-like.
Phrases match as whole words: "sale" is not found in "wholesale", nor "deal" in "dealer".
Words joined to others by a hyphen, slash, underscore or dot are names of things
("discount-service", "/deals", "promotion.api"), which alert titles are full of, so they do
not count either. One common word alone proves nothing (an alert may well say "sale" or
"debt"); two together, or one phrase only a person is told ("please donate"), rarely come from
a machine that is failing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.paging.models import CallAttempt
from tocsin.trust.anomalies.calls import within
from tocsin.trust.anomalies.findings import (
    Finding,
    day_of,
    fingerprint,
    hard,
    hours,
    normalise_text,
    sample,
)
from tocsin.trust.anomalies.marketing_phrases import PHRASES, Category, Phrase
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "marketing"
_QUOTE = 300

# Characters that glue a word into an identifier or a path; a dot only when a word follows it,
# so that the full stop ending a sentence still ends the word.
_BEFORE = r"(?<![\w\-/.@])"
_AFTER = r"(?![\w\-/@]|\.\w)"


def fold(text: str) -> str:
    """One form for matching: accents and marks dropped ("promoción" is "promocion", "für" is
    "fur"), full-width and other compatibility forms made plain, then `normalise_text`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return normalise_text("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _form_pattern(form: str) -> str:
    prefix = form.endswith("*")
    word = fold(form.rstrip("*"))
    start = _BEFORE if word[0].isalnum() else ""
    end = _AFTER if word[-1].isalnum() else ""
    return start + re.escape(word) + (r"\w*" if prefix else "") + end


def _pattern(phrase: Phrase) -> re.Pattern[str]:
    return re.compile("|".join(_form_pattern(form) for form in phrase.text.split("~")))


def _name(phrase: Phrase) -> str:
    """How a phrase is quoted as evidence: its first form."""
    return phrase.text.split("~")[0]


def _unique(phrases: tuple[Phrase, ...]) -> tuple[Phrase, ...]:
    """Languages share words ("gratis", "questionario"): each counts once."""
    seen: set[str] = set()
    kept = []
    for phrase in phrases:
        key = fold(phrase.text)
        if key not in seen:
            seen.add(key)
            kept.append(phrase)
    return tuple(kept)


@functools.cache
def _patterns() -> tuple[tuple[Phrase, re.Pattern[str]], ...]:
    """Compiled when first asked for, by the anomaly scan: some three hundred expressions, which
    every process that imports this module (`tocsin serve` among them) would otherwise compile
    at start-up."""
    return tuple((phrase, _pattern(phrase)) for phrase in _unique(PHRASES))


def matches_in(text: str) -> list[Phrase]:
    """The distinct phrases the text contains, in `PHRASES` order."""
    form = fold(text)
    return [phrase for phrase, pattern in _patterns() if pattern.search(form)]


def phrases_in(text: str) -> list[str]:
    """The distinct phrases the text contains, as quoted in evidence."""
    return [_name(phrase) for phrase in matches_in(text)]


def score_of(text: str) -> int:
    return sum(phrase.weight for phrase in matches_in(text))


def categories_in(text: str) -> list[Category]:
    return sorted({phrase.category for phrase in matches_in(text)})


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    rows = session.execute(
        select(CallAttempt.org_id, CallAttempt.to_number, CallAttempt.spoken_text)
        .where(*within(start, now))
        .distinct()
    )
    found: dict[str, list[Phrase]] = {}
    numbers: dict[str, set[str]] = defaultdict(set)
    texts: dict[str, dict[str, list[Phrase]]] = defaultdict(dict)
    for org_id, to_number, text in rows:
        if text not in found:
            found[text] = matches_in(text)
        if sum(phrase.weight for phrase in found[text]) >= thresholds.marketing_score:
            numbers[org_id].add(to_number)
            texts[org_id][text] = found[text]

    findings = []
    for org_id, hits in sorted(texts.items()):
        # The text with the most phrases is the clearest evidence.
        best = max(sorted(hits), key=lambda text: len(hits[text]))
        named = [_name(phrase) for phrase in hits[best]]
        heard = len(numbers[org_id])
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"marketing-like text ({', '.join(named)}) read to {heard} distinct "
                    f"numbers in {hours(thresholds.window)} h"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "sample_text": best[:_QUOTE],
                    "phrases": named,
                    "categories": sorted(
                        {phrase.category.value for found in hits.values() for phrase in found}
                    ),
                    "all_phrases": sorted(
                        {_name(phrase) for found in hits.values() for phrase in found}
                    ),
                    "marketing_texts": len(hits),
                    "distinct_numbers": heard,
                    "sample_numbers": sample(numbers[org_id], thresholds.samples),
                    "hard_threshold": thresholds.marketing_hard,
                },
                over_hard_threshold=hard(heard, thresholds.marketing_hard),
            )
        )
    return findings
