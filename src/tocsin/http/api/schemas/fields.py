"""Field types the API's bodies share, so the description says once what the server takes.

Where a command already checks a value and names its refusal with a code of its own
(`invalid_email`, `weak_password`), the constraint is only described here
(`json_schema_extra`), and the command's refusal stays the one a client sees. Elsewhere the
field enforces what it describes.

What no schema can say (whether a number may be called, a time zone exists, a code is
right) is the server's to refuse, with the codes its operations' 422 list.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, Strict, TypeAdapter

from tocsin.accounts.passwords import MIN_LENGTH as MIN_PASSWORD
from tocsin.accounts.service import EMAIL_SHAPE
from tocsin.core.names import MAX_NAME
from tocsin.telephony.prompts import LANGUAGES
from tocsin.telephony.setting_text import CONTROL

# What Python's str.split() and str.strip() take for whitespace, spelled out: `\s` means another
# set in each of Python, JSON Schema (ECMAScript) and pydantic's Rust, and the server folds and
# strips text with Python's.
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A pattern: the text holds something besides whitespace.
SOMETHING = rf"[^{_SPACE}]"

# A name is one line once its runs of whitespace fold to one space (core/names.py): something
# has to be left of it.
Name = Annotated[
    str,
    Field(
        max_length=MAX_NAME,
        pattern=SOMETHING,
        description="Shown as one line: runs of whitespace fold to one space",
    ),
]
# A provider account's name, which goes where its settings go (telephony/setting_text.py):
# checked as the account is saved (`invalid_name`).
ProviderName = Annotated[
    str,
    Field(
        max_length=MAX_NAME,
        pattern=SOMETHING,
        json_schema_extra={"not": {"pattern": CONTROL}},
        description="One line, without control characters",
    ),
]

# The same, or empty for the default the operation describes; checked by the command that takes
# it (`invalid_name`), which sign-up answers alike for a taken address and a new one.
NameOrEmpty = Annotated[
    str,
    Field(
        max_length=MAX_NAME,
        json_schema_extra={"anyOf": [{"pattern": SOMETHING}, {"const": ""}]},
        description="One line; empty for the default the operation describes",
    ),
]

Region = Annotated[
    str,
    Field(
        min_length=2,
        max_length=2,
        pattern=r"^[A-Za-z]{2}$",
        description="A country, ISO 3166 alpha-2 (e.g. GB)",
    ),
]

# What accounts.service.normalise_email takes, once NFKC-normalised and stripped.
EMAIL_PATTERN = rf"^\s*{EMAIL_SHAPE}\s*$"
Email = Annotated[
    str,
    Field(
        max_length=320,
        json_schema_extra={"pattern": EMAIL_PATTERN},
        description="An e-mail address",
    ),
]
EmailOrEmpty = Email | Literal[""]

NewPassword = Annotated[
    str,
    Field(
        max_length=256,
        json_schema_extra={"minLength": MIN_PASSWORD},
        description="Not a common password, and not the address's name",
    ),
]

# JSON's true and false only: a lax model would take "no", 0 or "off" as false, which the
# description cannot say.
Flag = Annotated[bool, Strict()]


def _not_text(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a whole number, not text or true/false")
    return value


# A whole number: 3 or 3.0, as JSON Schema's integer is, but never "3" or true.
Count = Annotated[int, BeforeValidator(_not_text)]

# Ids of Tocsin's things are a prefix and 26 characters (core/ids.py).
Id = Annotated[str, Field(max_length=40)]

TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, description="An IANA time zone, e.g. Europe/London"),
]

# A language of the call prompts' catalogue: described here, refused by the command
# (`unknown_language`, with the list), so every adapter gets the same refusal. The empty string,
# where a field takes it, puts back the organization's language.
LANGUAGE_LIST = ", ".join(LANGUAGES)
Language = Annotated[str, Field(json_schema_extra={"enum": list(LANGUAGES), "examples": ["es"]})]
LanguageOrEmpty = Annotated[
    str, Field(json_schema_extra={"enum": [*LANGUAGES, ""], "examples": ["es"]})
]


def described_by(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """The JSON schema of what `adapter` validates, whole: its definitions written in place, for
    a field the API passes on to a command that validates it with `adapter` (and names its own
    refusal). A tagged union's tag is required, as its discriminator makes it."""
    document = adapter.json_schema()
    definitions: dict[str, Any] = document.pop("$defs", {})

    def whole(node: Any) -> Any:
        if isinstance(node, list):
            return [whole(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return whole(definitions[node["$ref"].rsplit("/", 1)[-1]])
        written = {key: whole(value) for key, value in node.items() if key != "discriminator"}
        tag = node.get("discriminator", {}).get("propertyName")
        if tag is not None:
            written["oneOf"] = [
                {**member, "required": sorted({*member.get("required", ()), tag})}
                for member in written["oneOf"]
            ]
        return written

    described: dict[str, Any] = whole(document)
    return described
