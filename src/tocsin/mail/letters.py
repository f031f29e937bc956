"""What a message says, as plain text and as a simple HTML alternative of the same words.

The HTML is the text, escaped, in paragraphs, with the one link as an anchor to the very address
the text shows: no images, no redirects, no tracking of any kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from html import escape

FOOTER = "Tocsin sent this automatically; replies are not read."


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def write_letter(
    subject: str,
    paragraphs: Sequence[str],
    *,
    link: Link | None = None,
    after: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> Letter:
    """Paragraphs, then the link on a line of its own, then `after`, then the footer."""
    blocks = [*paragraphs]
    html_blocks = [f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs]
    if link is not None:
        blocks.append(f"{link.label}:\n{link.url}")
        html_blocks.append(f'<p><a href="{escape(link.url)}">{escape(link.label)}</a></p>')
        html_blocks.append(f"<p>{escape(link.url)}</p>")
    blocks += [*after, f"-- \n{FOOTER}"]
    html_blocks += [f"<p>{escape(paragraph)}</p>" for paragraph in after]
    html_blocks.append(f'<p style="color:#666;font-size:smaller">{escape(FOOTER)}</p>')
    html = (
        '<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.4">\n'
        + "\n".join(html_blocks)
        + "\n</body></html>\n"
    )
    return Letter(
        subject=" ".join(subject.split())[:300],
        text="\n\n".join(blocks) + "\n",
        html=html,
        headers=headers or {},
    )


def as_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str] | None,
    now: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    # RFC 3834: written by a program, so autoresponders stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
