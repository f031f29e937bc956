"""What a member's text and e-mail about an alert say.

A text is one SMS segment, always: `Tocsin <SEVERITY>: <title> (alert <id>). Reply STOP to opt
out.` The title is cut (at a word where it can be, with an ellipsis) so the whole text fits 160
GSM-7 septets, or 70 UCS-2 units once the title has a character outside GSM-7 (an emoji, most
non-Latin scripts): a page that arrives as three fragments out of order, or is billed three
times, is worse than a short one, and the alert page has the rest. The opt-out line is never
cut (`sms.with_opt_out_line`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.messages import sms

ELLIPSIS_GSM = "..."
ELLIPSIS_UCS2 = "…"
_UNTITLED = "(no title)"


def alert_reference(alert_id: str) -> str:
    """How a text names the alert: the first 8 characters of its id after the type prefix
    (`al_`). The prefix is the same for every alert and would leave 5 characters of a ULID's
    time, the same for months; 8 characters of the body tell apart alerts a quarter of a
    second apart, and read as the start of the id the alert page shows."""
    return alert_id.partition("_")[2][:8] or alert_id[:8]


def _frame(severity: str, title: str, alert_id: str) -> str:
    head = f"Tocsin {severity.upper()}: {title} (alert {alert_reference(alert_id)})."
    return sms.with_opt_out_line(head)


def _fits(text: str) -> bool:
    return sms.segments(text) == 1


def _plain(title: str) -> str:
    """One line: a text has no room for line breaks and runs of spaces."""
    return " ".join(title.split()) or _UNTITLED


def alert_text(*, severity: str, title: str, alert_id: str) -> str:
    """The SMS about an alert, one segment long (see the module docstring)."""
    title = _plain(title)
    whole = _frame(severity, title, alert_id)
    if _fits(whole):
        return whole
    # A title outside GSM-7 makes the text UCS-2 anyway, where the one-character ellipsis is
    # cheaper; in GSM-7 it would turn the whole text into UCS-2.
    ellipsis = ELLIPSIS_GSM if sms.is_gsm7(title) else ELLIPSIS_UCS2
    low, high = 0, len(title)
    # The longest prefix of the title that fits with the ellipsis; length is monotonic in it.
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(_frame(severity, _cut(title, middle) + ellipsis, alert_id)):
            low = middle
        else:
            high = middle - 1
    cut = _at_word(title[:low])
    return _frame(severity, cut + ellipsis, alert_id)


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
