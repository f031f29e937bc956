"""Whether an organization's name may be read or texted to a number that has not consented yet.

A verification code goes to someone who has not agreed to anything, in the platform's words.
The organization's name is the only part its owner chooses, so it must not be able to carry a
message of its own: a phishing sentence, a number to call back, a link. A name is shown only
when it is short and reads like a name; otherwise the code names "an organization on Tocsin"
and nothing else (`shown_org_name` returns None). Nothing is ever cut or cleaned into shape: a
shortened sentence can still mislead.

The rules, all of which must hold (after NFKC normalisation, so full-width and other
compatibility forms are judged as the characters they look like):
- at most `MAX_SHOWN_CHARACTERS` characters, at least one letter;
- letters of any script, combining marks, digits, single spaces, and only . , & ' - ( );
- Latin, Cyrillic and Greek letters are not mixed (lookalikes such as "Paypal" spelt with
  a Cyrillic a, U+0430);
- no run of three or more digits and no more than four digits in all (no phone numbers);
- nothing that reads as an address: no "@", no letter or digit right after a dot
  ("bank.com"), no spelled-out or spaced domain ("bank . com", "bank dot com"), no "www" or
  "http";
- none of a few words that ask the listener to do something (`_CALLS_TO_ACTION`).
"""

from __future__ import annotations

import re
import unicodedata

MAX_SHOWN_CHARACTERS = 40
GENERIC_ORG = "An organization on Tocsin"

_PUNCTUATION = frozenset(".,&'-() ")
# Scripts whose letters are easily taken for one another; a name keeps to one of them.
_CONFUSABLE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})
_DIGIT_RUN = re.compile(r"\d{3,}")
_DOT_THEN_WORD = re.compile(r"\.\w", re.UNICODE)
_SPACED_DOMAIN = re.compile(
    r"(\.|\bdot)\s*(com|net|org|info|biz|io|co|me|app|xyz|online|site|link|top|uk|us|de|fr|ru|"
    r"cn|in|br|au|ca|eu)\b",
    re.IGNORECASE,
)
_ADDRESS_WORDS = re.compile(r"\b(www|https?)\b", re.IGNORECASE)
# Words a name does not need and a lure does: a call to action, urgency, or a credential.
_CALLS_TO_ACTION = re.compile(
    r"\b(call|press|dial|text|reply|visit|click|login|log in|sign in|urgent|urgently|"
    r"immediately|suspended|locked|blocked|verify|confirm|password|pin|otp|code|refund|"
    r"prize|winner|won|gift|payment|pay|owe|overdue|arrest|warrant)\b",
    re.IGNORECASE,
)


def shown_org_name(name: str) -> str | None:
    """The name as a code may say it, or None when it must not be said."""
    candidate = " ".join(unicodedata.normalize("NFKC", name).split())
    if not candidate or len(candidate) > MAX_SHOWN_CHARACTERS:
        return None
    if not _characters_allowed(candidate) or not _one_lookalike_script(candidate):
        return None
    digits = sum(ch.isdigit() for ch in candidate)
    if digits > 4 or _DIGIT_RUN.search(candidate):
        return None
    if _DOT_THEN_WORD.search(candidate) or _SPACED_DOMAIN.search(candidate):
        return None
    if _ADDRESS_WORDS.search(candidate) or _CALLS_TO_ACTION.search(candidate):
        return None
    return candidate


def who_asks(name: str | None) -> str:
    """How a code names the organization that asked for it."""
    shown = shown_org_name(name) if name else None
    return f"The organization {shown}, on Tocsin," if shown else GENERIC_ORG


def who_asks_briefly(name: str | None) -> str:
    """The same, in the fewer words a one-segment text has room for."""
    shown = shown_org_name(name) if name else None
    return f"{shown} on Tocsin" if shown else GENERIC_ORG


def _characters_allowed(name: str) -> bool:
    has_letter = False
    for ch in name:
        category = unicodedata.category(ch)
        if category.startswith("L"):
            has_letter = True
        elif category.startswith("M"):
            # A combining mark belongs to the letter before it (Devanagari vowels, say).
            continue
        elif category == "Nd" or ch in _PUNCTUATION:
            continue
        else:
            return False
    return has_letter


def _one_lookalike_script(name: str) -> bool:
    scripts = {
        unicodedata.name(ch, "").split(" ", 1)[0]
        for ch in name
        if unicodedata.category(ch).startswith("L")
    }
    return len(scripts & _CONFUSABLE_SCRIPTS) <= 1
