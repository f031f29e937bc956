"""Turning what a person typed into dialable digit strings, so formatting cannot smuggle a
dangerous number past the screen.

Handled: Unicode digits of any script (full-width, Arabic-Indic, Devanagari...), separators,
`tel:` URIs and labels, extensions and pauses, embedded service codes such as `*67` or `#31#`,
trailing text, and keypad letters (1-900-FLOWERS). Where an input can be read more than one way,
every reading is returned: the screen blocks if any reading is dangerous.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_INPUT_CHARACTERS = 80

_KEYPAD = {
    letter: digit
    for digit, letters in {
        "2": "abc", "3": "def", "4": "ghi", "5": "jkl",
        "6": "mno", "7": "pqrs", "8": "tuv", "9": "wxyz",
    }.items()
    for letter in letters
}  # fmt: skip

# What follows the main number and is never dialled by us: extensions and post-dial pauses.
_EXTENSION = re.compile(
    r"(?:;\s*ext=|\s*(?:ext\.?|extension|x)\s*|\s*[,;pw]+\s*)(\d{1,10})\s*$", re.IGNORECASE
)
# Vertical service codes and GSM supplementary-service codes: *67, *82, #31#, *31#, **21*...
_SERVICE_CODE = re.compile(r"[*#]+\d{0,4}[*#]*")
_TEL_URI = re.compile(r"^\s*tel:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-./()\[\]\u2010-\u2015\u2212\u00a0\u200b]+")


@dataclass(frozen=True)
class Reading:
    """One way to read the input: `+digits` or national `digits`."""

    dialable: str
    how: str


@dataclass(frozen=True)
class Normalised:
    primary: Reading | None
    # Other readings worth judging; a dangerous one blocks even when the primary looks fine.
    probes: tuple[Reading, ...]
    problems: tuple[str, ...]
    extension: str | None
    service_codes: tuple[str, ...]


def ascii_digits(text: str) -> str:
    """NFKC folds full-width forms; any remaining decimal digit of any script becomes ASCII."""
    folded = unicodedata.normalize("NFKC", text)
    out = []
    for char in folded:
        if char.isdecimal() and not ("0" <= char <= "9"):
            out.append(str(unicodedata.decimal(char)))
        else:
            out.append(char)
    return "".join(out)


def _clean(text: str) -> str:
    """Separators removed, '+' kept only in front."""
    return _SEPARATORS.sub("", text)


def _international(digits: str) -> str:
    """Without a region, `00` and `011` are the usual ways to start an international number."""
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("011"):
        return "+" + digits[3:]
    return digits


def normalise(raw: str, *, has_region: bool) -> Normalised:
    problems: list[str] = []
    if len(raw) > MAX_INPUT_CHARACTERS:
        return Normalised(None, (), ("the input is too long to be a phone number",), None, ())
    text = _TEL_URI.sub("", ascii_digits(raw)).strip()

    extension = None
    match = _EXTENSION.search(text)
    if match and re.search(r"\d", text[: match.start()]):
        extension = match.group(1)
        text = text[: match.start()]

    service_codes = tuple(code for code in _SERVICE_CODE.findall(text) if code)
    without_codes = _SERVICE_CODE.sub(" ", text)

    digit_positions = [i for i, char in enumerate(without_codes) if char.isdigit()]
    if not digit_positions:
        return Normalised(None, (), ("there are no digits",), extension, service_codes)
    first, last = digit_positions[0], digit_positions[-1]
    leading, body, trailing = (
        without_codes[:first],
        without_codes[first : last + 1],
        without_codes[last + 1 :],
    )
    plus = leading.rstrip().endswith("+")
    letters_inside = bool(re.search(r"[^\W\d_]", body))
    if letters_inside:
        problems.append("letters inside the number")
    if "+" in body:
        problems.append("a '+' inside the number")

    digits = re.sub(r"\D", "", body)
    dialable = ("+" + digits) if plus else digits
    if not has_region:
        dialable = _international(dialable)
    readings = [Reading(dialable, "as typed")]

    # Keypad letters: the trailing text or inner letters may be a vanity number.
    if re.search(r"[A-Za-z]", body + trailing):
        vanity = "".join(_KEYPAD.get(char.lower(), char) for char in body + trailing)
        vanity_digits = re.sub(r"\D", "", vanity)
        vanity_dialable = ("+" + vanity_digits) if plus else vanity_digits
        if not has_region:
            vanity_dialable = _international(vanity_dialable)
        if vanity_dialable != dialable:
            readings.append(Reading(vanity_dialable, "keypad letters as digits"))

    # Read the service codes' digits as part of the number too: "9*11" must not pass as "9".
    if service_codes:
        kept = re.sub(r"\D", "", text)
        kept_dialable = ("+" + kept) if text.lstrip().startswith("+") else kept
        if not has_region:
            kept_dialable = _international(kept_dialable)
        if kept_dialable != dialable:
            readings.append(Reading(kept_dialable, "service-code digits kept"))

    primary = None if letters_inside or "+" in body else readings[0]
    probes = tuple(readings[1:]) if primary is not None else tuple(readings)
    return Normalised(primary, probes, tuple(problems), extension, service_codes)
