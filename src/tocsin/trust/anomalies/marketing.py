"""Texts that read like a sales pitch or a robocall script.

A text scores one point for each distinct phrase of `PHRASES` it contains, and one that scores
at least two is marketing-like. Phrases match as whole words: "sale" is not found in
"wholesale", nor "deal" in "dealer". Words joined to others by a hyphen, slash, underscore or
dot are names of things ("discount-service", "/deals", "promotion.api"), which alert titles
are full of, so they do not count either. One word alone proves nothing (an alert may well
say "sale" or "deal"); two together rarely come from a machine that is failing.
"""

from __future__ import annotations

import re
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
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "marketing"
_QUOTE = 300

# Marketing and robocall phrases, as they are said aloud. Kept short on purpose: every entry
# is a phrase an alert has no reason to say, or one that only counts next to another.
PHRASES: tuple[str, ...] = (
    "limited time",
    "special offer",
    "% off",
    "discount",
    "free gift",
    "act now",
    "call now",
    "buy now",
    "winner",
    "you have won",
    "prize",
    "promotion",
    "subscribe",
    "unsubscribe",
    "deal",
    "sale",
    "loan",
    "credit score",
    "press 1 to speak",
    "warranty",
    "insurance quote",
    "congratulations",
)

# Characters that glue a word into an identifier or a path; a dot only when a word follows it,
# so that the full stop ending a sentence still ends the word.
_BEFORE = r"(?<![\w\-/.@])"
_AFTER = r"(?![\w\-/@]|\.\w)"


def _pattern(phrase: str) -> re.Pattern[str]:
    form = normalise_text(phrase)
    start = _BEFORE if form[0].isalnum() else ""
    end = _AFTER if form[-1].isalnum() else ""
    return re.compile(start + re.escape(form) + end)


_PATTERNS = tuple((phrase, _pattern(phrase)) for phrase in PHRASES)


def phrases_in(text: str) -> list[str]:
    """The distinct marketing phrases the text contains, in `PHRASES` order."""
    form = normalise_text(text)
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(form)]


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    rows = session.execute(
        select(CallAttempt.org_id, CallAttempt.to_number, CallAttempt.spoken_text)
        .where(*within(start, now))
        .distinct()
    )
    scored: dict[str, list[str]] = {}
    numbers: dict[str, set[str]] = defaultdict(set)
    texts: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for org_id, to_number, text in rows:
        if text not in scored:
            scored[text] = phrases_in(text)
        if len(scored[text]) >= thresholds.marketing_phrases:
            numbers[org_id].add(to_number)
            texts[org_id][text] = scored[text]

    findings = []
    for org_id, hits in sorted(texts.items()):
        # The text with the most phrases is the clearest evidence.
        best = max(sorted(hits), key=lambda text: len(hits[text]))
        heard = len(numbers[org_id])
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"marketing-like text ({', '.join(hits[best])}) read to {heard} distinct "
                    f"numbers in {hours(thresholds.window)} h"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "sample_text": best[:_QUOTE],
                    "phrases": hits[best],
                    "all_phrases": sorted({phrase for found in hits.values() for phrase in found}),
                    "marketing_texts": len(hits),
                    "distinct_numbers": heard,
                    "sample_numbers": sample(numbers[org_id], thresholds.samples),
                    "hard_threshold": thresholds.marketing_hard,
                },
                over_hard_threshold=hard(heard, thresholds.marketing_hard),
            )
        )
    return findings
