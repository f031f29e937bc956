"""Whether and where to follow a 3xx redirect (RFC 3261 8.1.3.4).

A redirect sends the call to another number, which may be one Tocsin must never call (premium
rate, emergency, abroad): it is followed only where the call request's `redirect_allowed`
accepts the E.164 number the Contact names, at most MAX_REDIRECTS times. A `sip:` Contact is
called at its own host and port; a `tel:` one through the trunk, like the first INVITE.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from tocsin.core.logs import mask_number
from tocsin.telephony.sip.message import SipMessage, uri_of

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 2
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# RFC 3966 visual separators, which say nothing about the number.
_SEPARATORS = re.compile(r"[-.()\s]")
_SIP_URI = re.compile(r"sips?:(?P<user>[^@]+)@(?P<host>\[[^\]]+\]|[^:;?>]+)(?::(?P<port>\d+))?")


@dataclass(frozen=True)
class Redirect:
    """Where the next INVITE goes: its Request-URI, and the host and port to send it to (None:
    through the trunk)."""

    number: str
    uri: str
    host: str | None = None
    port: int = 5060


def contact_number(uri: str) -> str | None:
    """The E.164 number (`+` and digits) a redirect's Contact URI names, from a `tel:` URI or
    the user part of a `sip:`/`sips:` one; None when it names no such number (a number
    without its country code cannot be judged, so it counts as none)."""
    if uri.lower().startswith("tel:"):
        user = uri[4:]
    else:
        found = _SIP_URI.match(uri)
        if found is None:
            return None
        user = found.group("user")
    number = _SEPARATORS.sub("", unquote(user.split(";", 1)[0]))
    return number if _E164.fullmatch(number) else None


def follow(
    response: SipMessage,
    *,
    allowed: Callable[[str], bool] | None,
    followed: int,
    through_trunk: Callable[[str], str],
) -> Redirect | str:
    """The redirect to follow, or why not, in words that complete "The SIP trunk redirected
    the call (302 Moved Temporarily) ...". `through_trunk` makes the Request-URI for a number
    sent through the trunk."""
    contact = response.get("Contact")
    if followed >= MAX_REDIRECTS:
        return "more than twice"
    if not contact:
        return "without saying where to"
    uri = uri_of(contact.split(",", 1)[0])
    number = contact_number(uri)
    if number is None:
        return f"to {uri}, which is not a phone number"
    if allowed is None:
        return f"to {number}, and this call follows no redirects"
    if not _asks(allowed, number):
        return f"to {number}, which this call may not call"
    found = _SIP_URI.match(uri)
    if found is None:
        return Redirect(number, through_trunk(number))
    return Redirect(number, uri, found.group("host").strip("[]"), int(found.group("port") or 5060))


def _asks(allowed: Callable[[str], bool], number: str) -> bool:
    try:
        return allowed(number)
    except Exception:
        # A callback that fails allows nothing; the call is not placed, with a reason.
        logger.exception("redirect_allowed failed for %s", mask_number(number))
        return False
