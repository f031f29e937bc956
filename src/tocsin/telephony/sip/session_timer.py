"""Session timers (RFC 4028): how long a call's session lasts without a refresh, and who
refreshes it.

We support timers (`Supported: timer`) without asking for one: the far end sets the interval in
its 2xx, or in its own re-INVITE or UPDATE. Roles in Session-Expires are named from the
transaction that set them: `refresher=uac` is whoever sent that request. This module turns them
into "us" or "them".
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.telephony.sip.message import SipMessage, header_param


@dataclass(frozen=True)
class SessionTimer:
    """The session's interval in seconds, and whether we are the one to refresh it."""

    seconds: int
    we_refresh: bool

    @property
    def act_after(self) -> float:
        """Seconds after the last refresh at which we act: refresh at half the interval
        (RFC 4028 10), or, when the far end refreshes and has not, end the session a little
        before it lapses (min(32, interval / 3) before it, also section 10)."""
        if self.we_refresh:
            return self.seconds / 2
        return self.seconds - min(32.0, self.seconds / 3)


def session_expires(message: SipMessage) -> tuple[int, str | None] | None:
    """(interval, refresher or None) from a Session-Expires header."""
    value = message.get("Session-Expires")
    if not value:
        return None
    seconds = value.split(";", 1)[0].strip()
    if not seconds.isdecimal() or int(seconds) < 1:
        return None
    refresher = header_param(value, "refresher")
    return int(seconds), refresher.lower() if refresher else None


def min_se(message: SipMessage) -> int | None:
    """The Min-SE a 422 asks for (RFC 4028 6)."""
    value = (message.get("Min-SE") or "").split(";", 1)[0].strip()
    return int(value) if value.isdecimal() and int(value) > 0 else None


def from_our_request(response: SipMessage) -> SessionTimer | None:
    """The timer a 2xx to our INVITE or refresh sets; None without Session-Expires (no timer,
    RFC 4028 7.2). A 2xx that names no refresher leaves it to us (the UAC): a needless
    refresh costs one request, a missing one the call."""
    found = session_expires(response)
    if found is None:
        return None
    seconds, refresher = found
    return SessionTimer(seconds, we_refresh=refresher != "uas")


def from_their_request(request: SipMessage) -> tuple[SessionTimer, str] | None:
    """The timer a re-INVITE or UPDATE of the far end sets, and the Session-Expires value our
    2xx must carry; None when it asks for none. A request that names no refresher leaves the
    choice to us (RFC 4028 9), and the far end, which wants the timer, refreshes."""
    found = session_expires(request)
    if found is None:
        return None
    seconds, refresher = found
    refresher = refresher if refresher in ("uac", "uas") else "uac"
    return SessionTimer(seconds, we_refresh=refresher == "uas"), f"{seconds};refresher={refresher}"
