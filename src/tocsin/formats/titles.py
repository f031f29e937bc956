"""What a title says about its incident, beyond its name.

Many senders put the state in the title: "[FIRING] Disk full", "RESOLVED: Disk full", "Shop is
back up". Two uses follow. A title marked as a recovery resolves, when the body has no status
field to say so. And for telling incidents apart by title, the markers are dropped, so that
"RECOVERED: Disk full" names the same incident as "Disk full".

The lists are short on purpose. A marker counts only at the start of a title, in brackets or
followed by a colon or a spaced dash ("OK - Disk full", never "Up-to-date"), or as one of a few
whole phrases at its end. "Error rate is up" is a problem, not a recovery, so "is up" is not
among them; neither is a bare trailing "resolved" ("Host name could not be resolved").
"""

from __future__ import annotations

import re

RECOVERY_MARKERS = frozenset({"resolved", "recovered", "recovery", "ok", "up", "cleared"})
PROBLEM_MARKERS = frozenset(
    {
        "firing",
        "alert",
        "alerting",
        "alarm",
        "problem",
        "triggered",
        "critical",
        "warning",
        "down",
        "error",
        "failed",
        "failure",
    }
)

_BRACKETED = re.compile(r"^\s*[\[(]\s*(?P<word>[a-z]+)(?:\s*:\s*\d+)?\s*[\])]\s*", re.IGNORECASE)
_LABELLED = re.compile(r"^\s*(?P<word>[a-z]+)(?:\s*:|\s+[-\u2013\u2014])\s*", re.IGNORECASE)
_RECOVERY_ENDING = re.compile(
    r"\s+(?:is\s+back\s+(?:up|online|to\s+normal)|has\s+recovered|(?:is|has\s+been)\s+resolved"
    r"|is\s+ok\s+again)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_PROBLEM_ENDING = re.compile(
    r"\s+(?:is\s+down|is\s+offline|went\s+down|has\s+failed)\s*[.!]?\s*$", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")


def _leading_marker(title: str) -> tuple[str, str] | None:
    """(marker word, rest of the title) when the title starts with a marker."""
    for pattern in (_BRACKETED, _LABELLED):
        match = pattern.match(title)
        if match is None:
            continue
        word = match["word"].lower()
        if word in RECOVERY_MARKERS or word in PROBLEM_MARKERS:
            return word, title[match.end() :]
    return None


def marked_as_recovery(title: str) -> bool:
    leading = _leading_marker(title)
    if leading is not None:
        return leading[0] in RECOVERY_MARKERS
    return _RECOVERY_ENDING.search(title) is not None


def incident_name(title: str) -> str:
    """The title without state markers, in lower case with single spaces: what stays the same
    from an incident's first page to its recovery."""
    name = title
    # A title may stack markers ("[FIRING:2] ALERT: ..."); a few passes take them all.
    for _ in range(3):
        leading = _leading_marker(name)
        if leading is None:
            break
        name = leading[1]
    name = _PROBLEM_ENDING.sub("", _RECOVERY_ENDING.sub("", name))
    normalised = _SPACES.sub(" ", name).strip().lower()
    return normalised or _SPACES.sub(" ", title).strip().lower()
