"""Which of an account's `extra_headers` may go on its INVITEs.

Identity and routing are Tocsin's: From, To, P-Asserted-Identity, P-Preferred-Identity,
Remote-Party-ID, Privacy, Identity, Diversion and History-Info say who calls (a trunk that
trusts us passes them on, so a customer could present any number); Via, Contact, Route,
Record-Route, Max-Forwards, Call-ID, CSeq and Content-* make the transaction and its body.
Rather than list what is dangerous (every trunk honours a few more), only names starting
`X-` are taken: by convention private to the two ends, which is what the setting is for (a
customer reference, a trunk's account tag), and nothing a carrier takes for identity or
routing. Our own `X-Tocsin-*` headers are not the customer's either.

A name must be a SIP token and a value printable ASCII (no CR, LF or other control
character), so nothing can start a header or body of its own. Headers are refused when an
account is saved (`refusal`), and left out again when an INVITE is built (`allowed`), for
accounts saved before the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_HEADERS = 10
MAX_NAME = 64
MAX_VALUE = 256
# RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


class MalformedHeader(ValueError):
    """A header that would break the message: a line break in it, or a colon in its name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"extra header {name!r} has a line break or a colon in its name")
        self.name = name


def check_well_formed(name: str, value: str) -> None:
    """MalformedHeader unless `name: value` stays one header line; what any trunk's settings,
    stored or new, must meet."""
    if any(c in name + value for c in "\r\n") or ":" in name:
        raise MalformedHeader(name)


def malformation(name: str, value: object) -> str | None:
    """Why `name: value` would not stay one well-formed header line; None when it would."""
    if not _TOKEN.fullmatch(name) or len(name) > MAX_NAME:
        return f"extra header name {name!r} must be a SIP token of at most {MAX_NAME} characters"
    if not isinstance(value, str) or not _PRINTABLE.fullmatch(value) or len(value) > MAX_VALUE:
        return (
            f"extra header {name}: the value must be text of at most {MAX_VALUE} printable"
            " ASCII characters, without line breaks"
        )
    return None


def refusal(name: str, value: object) -> str | None:
    """Why `name: value` may not go on an INVITE, in words that name the header; None when
    it may."""
    malformed = malformation(name, value)
    if malformed is not None:
        return malformed
    lowered = name.lower()
    if not lowered.startswith("x-") or len(name) == 2:
        return (
            f"extra header {name} is not allowed: only names starting X- may be added; caller"
            " identity and routing headers are set by Tocsin"
        )
    if lowered.startswith("x-tocsin-"):
        return f"extra header {name} is not allowed: X-Tocsin- headers are Tocsin's own"
    return None


def allowed(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The headers of `headers` that may go on an INVITE, in order, at most MAX_HEADERS."""
    return [(name, value) for name, value in headers.items() if refusal(name, value) is None][
        :MAX_HEADERS
    ]
