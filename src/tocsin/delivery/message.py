"""The text read aloud for an alert. Templates per endpoint arrive with the routing engine; this
is the safe default every call falls back to."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _truncate_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "."


def spoken_text(
    *, endpoint_name: str, severity: str, title: str, message: str, max_characters: int
) -> str:
    parts = [f"Alert from {endpoint_name}.", f"Severity {severity}.", title.rstrip(".") + "."]
    if message and message.strip() != title.strip():
        parts.append(message)
    text = " ".join(_CONTROL.sub(" ", part).strip() for part in parts)
    return _truncate_words(" ".join(text.split()), max_characters)
