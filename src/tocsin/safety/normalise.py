"""Turning what a person typed into dialable digit strings, so formatting cannot smuggle a
dangerous number past the screen.

Handled: Unicode digits of any script (full-width, Arabic-Indic, Devanagari, circled...),
separators, `tel:` URIs and labels, extensions and pauses, embedded service codes such as `*67`
or `#31#`, trailing text, and keypad letters (1-900-FLOWERS). Where an input can be read more
than one way, every reading is returned: the screen blocks if any reading is dangerous.
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
# Service codes as people dial them in front of (or inside) a number: GSM supplementary-service
# codes end in '#' (#31#, *31#, *#06#); North American vertical service codes are '*' and two
# digits (*67, *82), often written glued to the number ("*6712125550123"). Any other '*' or '#'
# is dropped on its own, so its neighbours stay digits of the number.
_SERVICE_CODE = re.compile(r"[*#]{1,2}\d{1,3}#|\*\d{2}|[*#]+")
# The looser reading: a '*' or '#' takes up to four digits with it. Judged as a probe, because
# some codes are longer than the two digits the main reading assumes.
_SERVICE_CODE_GREEDY = re.compile(r"[*#]+\d{0,4}[*#]*")
_TEL_URI = re.compile(r"^\s*tel:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-./()\[\]\u2010-\u2015\u2212\u00a0\u200b]+")
# Most inputs are only digits and ASCII separators, perhaps after a '+': nothing to take apart.
_PLAIN = re.compile(r"\+?[ ()./\-]*[0-9][0-9 ()./\-]*")
_DIGIT = re.compile(r"\d")
# After ascii_digits the only digits left are 0-9, which is all `\d` has to find.
_FIRST_TO_LAST_DIGIT = re.compile(r"\d(?:.*\d)?", re.DOTALL)
_NON_DIGITS = re.compile(r"\D+")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


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
    """NFKC folds full-width and circled forms; any remaining digit of any script (decimal or
    not, such as Ethiopic or double-circled digits) becomes its ASCII digit."""
    if text.isascii():
        # NFKC leaves ASCII as it is, and no ASCII character but 0-9 has a digit value.
        return text
    folded = unicodedata.normalize("NFKC", text)
    out = []
    for char in folded:
        value = unicodedata.digit(char, None) if not ("0" <= char <= "9") else None
        out.append(str(value) if value is not None else char)
    return "".join(out)


def _clean(text: str) -> str:
    """Separators (brackets included) removed."""
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


def _readings(text: str, has_region: bool, how: str) -> list[Reading]:
    """The digits of `text`, with the '+' when one comes before the first digit; without a
    region also the international reading of a 00/011 prefix. The digits as typed stay a reading
    too: "000" is Australia's emergency number, not an empty international one."""
    first_digit = _DIGIT.search(text)
    if first_digit is None:
        return []
    plus = _clean(text[: first_digit.start()]).endswith("+")
    dialable = ("+" if plus else "") + _NON_DIGITS.sub("", text)
    readings = []
    if not has_region and _international(dialable) != dialable:
        readings.append(Reading(_international(dialable), how))
        how = f"{how}, without the international prefix"
    readings.append(Reading(dialable, how))
    return readings


def normalise(raw: str, *, has_region: bool) -> Normalised:
    problems: list[str] = []
    if len(raw) > MAX_INPUT_CHARACTERS:
        return Normalised(None, (), ("the input is too long to be a phone number",), None, ())
    if _PLAIN.fullmatch(raw):
        # No extension, service code or letter to take apart: the readings as typed are all.
        readings = _readings(raw, has_region, "as typed")
        return Normalised(readings[0], tuple(readings[1:]), (), None, ())
    text = _TEL_URI.sub("", ascii_digits(raw)).strip()

    extension = None
    match = _EXTENSION.search(text)
    if match and _DIGIT.search(text, 0, match.start()):
        extension = match.group(1)
        text = text[: match.start()]

    service_codes = tuple(code for code in _SERVICE_CODE.findall(text) if code)
    without_codes = _SERVICE_CODE.sub(" ", text)

    digits = _FIRST_TO_LAST_DIGIT.search(without_codes)
    if digits is None:
        return Normalised(None, (), ("there are no digits",), extension, service_codes)
    first, last = digits.start(), digits.end() - 1
    # Text before the first digit is a label or '+'; text after the last is a label.
    leading, body, trailing = (
        without_codes[:first],
        without_codes[first : last + 1],
        without_codes[last + 1 :],
    )
    letters_inside = bool(_LETTER.search(body))
    if letters_inside:
        problems.append("letters inside the number")
    if "+" in body:
        problems.append("a '+' inside the number")

    # The '+' may sit inside a bracket: "(+44) 20...".
    plus = "+" if _clean(leading).endswith("+") else ""
    readings = _readings(plus + body, has_region, "as typed")

    # Keypad letters: the trailing text or inner letters may be a vanity number.
    if _ASCII_LETTER.search(body + trailing):
        vanity = "".join(_KEYPAD.get(char.lower(), char) for char in body + trailing)
        readings += _readings(plus + vanity, has_region, "keypad letters as digits")

    if service_codes:
        # The codes' digits read as part of the number: "9*11" must not pass as "9".
        readings += _readings(text, has_region, "service-code digits kept")
        # Codes longer than the main reading assumes: '*' or '#' and up to four digits.
        readings += _readings(_SERVICE_CODE_GREEDY.sub(" ", text), has_region, "longer codes")

    primary = None if letters_inside or "+" in body else readings[0]
    seen = {primary.dialable} if primary is not None else set()
    probes = []
    for reading in readings:
        if reading.dialable not in seen:
            seen.add(reading.dialable)
            probes.append(reading)
    return Normalised(primary, tuple(probes), tuple(problems), extension, service_codes)
