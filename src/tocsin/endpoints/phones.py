"""Phone number parsing to E.164. The safety screen (tocsin.safety) decides what may be called;
this only decides what is a well-formed number."""

from __future__ import annotations

import phonenumbers

from tocsin.errors import InvalidInput


def to_e164(raw: str, region: str | None = None) -> str:
    try:
        parsed = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            f"not a phone number: {raw!r} (use international form, +CC..., or give a region)",
            code="invalid_phone",
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"not a valid phone number: {raw!r} (give it in international form, +CC...)",
            code="invalid_phone",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
