"""What a member's text and e-mail about an alert say.

A text reads `Tocsin <SEVERITY> #K3: <title>. Reply 1 to acknowledge, 2 to resolve. Reply STOP
to opt out.`: `#K3` is the reference a reply may name (`paging.text_replies`) when the number
was texted several alerts. The title is cut (at a word where it can be, with an ellipsis) so the
whole text fits one segment: 160 GSM-7 septets. A title with a character outside GSM-7 (an
emoji, most non-Latin scripts) makes the text UCS-2, where how to answer and how to opt out
alone fill most of a 70-unit segment, so such a text may take two (134 units) and no more: a
page that arrives as three fragments out of order, or is billed three times, is worse than a
short one, and the alert page has the rest. The opt-out line and the answer line are never cut
(`sms.with_opt_out_line`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tocsin.messages import sms

ELLIPSIS_GSM = "..."
ELLIPSIS_UCS2 = "…"
_UNTITLED = "(no title)"
ANSWER_LINE = "Reply 1 to acknowledge, 2 to resolve."
# At most this many segments for a text in GSM-7, and in UCS-2.
_SEGMENTS_GSM, _SEGMENTS_UCS2 = 1, 2


def alert_reference(alert_id: str) -> str:
    """How a mail names the alert: the first 8 characters of its id after the type prefix
    (`al_`). The prefix is the same for every alert and would leave 5 characters of a ULID's
    time, the same for months; 8 characters of the body tell apart alerts a quarter of a
    second apart, and read as the start of the id the alert page shows."""
    return alert_id.partition("_")[2][:8] or alert_id[:8]


def _plain(title: str) -> str:
    """One line: a text has no room for line breaks and runs of spaces."""
    return " ".join(title.split()) or _UNTITLED


def alert_text(*, severity: str, title: str, reference: str) -> str:
    """The SMS about an alert (see the module docstring); `reference` as `#K3` shows it,
    without the `#`."""
    head = f"Tocsin {severity.upper()} #{reference}"
    return fitted(title, lambda cut: f"{head}: {sentence(cut)} {ANSWER_LINE}")


def sentence(title: str) -> str:
    """The title ended as a sentence, without a second full stop after its own."""
    return title if title.endswith((".", "!", "?", ELLIPSIS_UCS2)) else f"{title}."


def fitted(title: str, frame: Callable[[str], str]) -> str:
    """`frame(title)` with the opt-out line, the title made one line and cut so that the text
    takes one GSM-7 segment, or two UCS-2 ones when the title is not GSM-7."""
    title = _plain(title)
    gsm = sms.is_gsm7(title)
    limit = _SEGMENTS_GSM if gsm else _SEGMENTS_UCS2

    def text(cut: str) -> str:
        return sms.with_opt_out_line(frame(cut))

    def fits(cut: str) -> bool:
        return sms.segments(text(cut)) <= limit

    if fits(title):
        return text(title)
    # A title outside GSM-7 makes the text UCS-2 anyway, where the one-character ellipsis is
    # cheaper; in GSM-7 it would turn the whole text into UCS-2.
    ellipsis = ELLIPSIS_GSM if gsm else ELLIPSIS_UCS2
    low, high = 0, len(title)
    # The longest prefix of the title that fits with the ellipsis; length is monotonic in it.
    while low < high:
        middle = (low + high + 1) // 2
        if fits(_cut(title, middle) + ellipsis):
            low = middle
        else:
            high = middle - 1
    return text(_at_word(title[:low]) + ellipsis)


def _cut(title: str, length: int) -> str:
    return title[:length].rstrip()


def _at_word(prefix: str) -> str:
    """The prefix cut back to its last word boundary, unless that loses more than half of it."""
    prefix = prefix.rstrip()
    space = prefix.rfind(" ")
    if space > len(prefix) // 2:
        return prefix[:space].rstrip(" ,;:-")
    return prefix


@dataclass(frozen=True)
class AlertMailWords:
    """What the mail about an alert says; mail/letters.py lays it out."""

    subject: str
    paragraphs: tuple[str, ...]
    link_label: str
    link_url: str


def alert_mail(
    *,
    severity: str,
    title: str,
    message: str,
    endpoint: str,
    alert_id: str,
    alert_url: str,
) -> AlertMailWords:
    """The mail to a member paged about an alert: its title, severity and where to act on it.
    Nothing in the mail acknowledges the alert; the page does, once signed in."""
    title = _plain(title)
    paragraphs = [
        f"{severity.upper()} alert from {endpoint}: {title}",
        f"Alert {alert_reference(alert_id)} is open. You are told because an escalation "
        "paged you; acknowledge it on its page to stop the calls.",
    ]
    detail = " ".join(message.split())
    if detail and detail != title:
        paragraphs.insert(1, detail[:1000])
    return AlertMailWords(
        subject=f"[Tocsin {severity.upper()}] {title}",
        paragraphs=tuple(paragraphs),
        link_label="Open the alert",
        link_url=alert_url,
    )
