"""How a reply to an alert text reads, and what Tocsin texts back. Pure: no I/O.

An alert text ends `Reply 1 to acknowledge, 2 to resolve.` and carries a short reference, `#K3`,
that tells it apart from the other alerts texted to the same number lately
(`paging.text_replies` picks it). A reply is read forgivingly (`parse_reply`): the action is
`1`/`ack`/`acknowledge` or `2`/`resolve`, in any case, with spaces, a trailing full stop or
exclamation mark, and optionally the reference before or after it (`1 K3`, `K3 1`, `ack #k3`,
`1K3`). Anything else is no reply (and, unless it is a keyword, not kept: Tocsin does not read
people's messages). "1 2", "yes", "ok", "stop calling" are not replies.

Every answer names Tocsin and ends with the opt-out line, and fits one GSM-7 segment (two
UCS-2 ones for a title outside GSM-7, as the alert text itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from tocsin.messages import sms
from tocsin.messages.alert_texts import fitted, sentence

# Letters and digits that cannot be read as each other (no I, L, O; no 0, 1): a reference is one
# letter then one digit (184 of them), or one letter then two digits when a number was texted
# that many alerts within the reply window.
REFERENCE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_DIGITS = "23456789"


class ReplyAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


_ACTIONS = {
    "1": ReplyAction.ACKNOWLEDGE,
    "ACK": ReplyAction.ACKNOWLEDGE,
    "ACKNOWLEDGE": ReplyAction.ACKNOWLEDGE,
    "ACKNOWLEDGED": ReplyAction.ACKNOWLEDGE,
    "2": ReplyAction.RESOLVE,
    "RESOLVE": ReplyAction.RESOLVE,
    "RESOLVED": ReplyAction.RESOLVE,
}
# Shaped like a reference, whether or not it is one Tocsin gave out: a reply naming one that
# matches nothing is answered so, never taken for another alert.
_REFERENCE = re.compile(r"#?([A-Z][0-9]{1,2})")
# "1K3" or "1#K3", written without a space.
_GLUED = re.compile(r"([12])(#?[A-Z][0-9]{1,2})")
_SEPARATORS = re.compile(r"[\s,;:]+")


@dataclass(frozen=True)
class TextReply:
    action: ReplyAction
    # The reference as the person wrote it, upper case without `#`; None for a bare action.
    reference: str | None = None


def parse_reply(body: str) -> TextReply | None:
    """The reply a whole message is, or None (see the module docstring)."""
    words = [w for w in _SEPARATORS.split(body.strip().rstrip(".!").strip().upper()) if w]
    if len(words) == 1 and (glued := _GLUED.fullmatch(words[0])) is not None:
        words = [glued.group(1), glued.group(2)]
    actions = [_ACTIONS[w] for w in words if w in _ACTIONS]
    references = [m.group(1) for w in words if (m := _REFERENCE.fullmatch(w)) is not None]
    if len(actions) != 1 or len(references) > 1 or len(actions) + len(references) != len(words):
        return None
    return TextReply(actions[0], references[0] if references else None)


def reference_text(reference: str) -> str:
    return f"#{reference}"


def masked_number(number: str) -> str:
    """A number as a timeline shows it: its country code and first digits, two digits hidden
    and the last three, `+44 7700 9xx 123`; enough for the member to know their phone, not
    enough to call it."""
    try:
        shown = phonenumbers.format_number(
            phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ).replace("-", " ")
    except phonenumbers.NumberParseException:
        shown = number
    digits = [index for index, ch in enumerate(shown) if ch.isdigit()]
    if len(digits) < 7:
        return "+" + "x" * max(len(digits), 1)
    return f"{shown[: digits[-6] + 1]}xx {shown[digits[-3] :]}"


# What Tocsin texts back. Each names the alert by its reference, and the title when one matched:
# the person was texted that title a moment ago.


def acknowledged(reference: str, title: str) -> str:
    ref = reference_text(reference)
    return fitted(
        title,
        lambda t: f"Tocsin: Acknowledged {ref}: {sentence(t)} Reply 2 {reference} to resolve.",
    )


def resolved(reference: str, title: str) -> str:
    ref = reference_text(reference)
    return fitted(title, lambda t: f"Tocsin: Resolved {ref}: {sentence(t)}")


def already(reference: str, title: str, status: str) -> str:
    """The answer to a reply about an alert that was `status` (acknowledged, resolved)
    already: nothing changed, and it is no error."""
    ref = reference_text(reference)
    return fitted(title, lambda t: f"Tocsin: {ref} was {status} already: {sentence(t)}")


def no_alert() -> str:
    """The one answer to a number that was texted no alert it may answer: it says nothing of
    any alert, another organization's or this number's own."""
    return sms.with_opt_out_line("Tocsin: no alert of yours is waiting for a reply.")


def unknown_reference(reference: str) -> str:
    return sms.with_opt_out_line(
        f"Tocsin: no alert {reference_text(reference)} of yours is waiting for a reply; "
        "nothing was changed."
    )


def ambiguous_reference(reference: str) -> str:
    return sms.with_opt_out_line(
        f"Tocsin: {reference_text(reference)} names more than one alert, so nothing was "
        "changed. Answer on the alert's page."
    )
