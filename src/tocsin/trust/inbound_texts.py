"""What a text sent to one of Tocsin's numbers does: the SMS programme's keywords.

A message that is, whole and trimmed, in any case, one of the keywords (`messages.sms.KEYWORDS`)
is kept as evidence (`SmsKeyword`: provider, message id, from, to, keyword, time) and acted on
once; the provider's message id makes a webhook delivered again do nothing twice. Anything else
is not kept: Tocsin does not read people's messages.

- STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: the number gets no more texts (the SMS stop
  list) and no more calls (a platform opt-out, as the public opt-out form makes: pending calls
  to it are cancelled everywhere, and each organization needs the owner's consent again). One
  reply confirms it; a STOP from a number already stopped is applied again (calls stop as of
  now) but not answered, since a stopped number gets no texts.
  That is for a STOP to one of the platform's own numbers. A STOP to a number of an
  organization's own provider account has the same effect for that organization only (its
  texts, and its do-not-call list): whoever holds the account's credentials can sign a webhook
  saying any number texted STOP, and no organization may stop other organizations' calls.
- HELP, INFO: one fixed text, who sends these texts, how to stop them and the opt-out URL; not
  more than one per number in `HELP_REPLY_GAP`, so a forged sender cannot turn HELP into a way
  of texting someone.
- START, UNSTOP: lifts the SMS stop (of the same scope) only, never consent: calls stay stopped
  until the number's owner verifies the number again. Answered only when it lifted a stop.

Anything else that reads as a reply to an alert text ("1", "2 K3": `messages.text_replies`)
acknowledges or resolves an alert texted to that number, in the scope of the account that
received it; `paging.text_replies` decides which, and keeps the evidence.

The answer is sent after this commits, by the webhook route through the account that received
the text, and `note_reply` records what became of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.messages import sms
from tocsin.messages.sms import Keyword
from tocsin.messages.text_replies import parse_reply
from tocsin.numbers import sms_stops
from tocsin.numbers.models import SmsKeyword
from tocsin.paging import text_replies
from tocsin.paging.opt_out import stop_calling
from tocsin.providers.models import ProviderAccount
from tocsin.telephony.inbound import InboundText
from tocsin.trust.opt_outs import opt_out_by_text

HELP_REPLY_GAP = timedelta(minutes=10)
_HELP_WORDS = [word for word, keyword in sms.KEYWORDS.items() if keyword is Keyword.HELP]


class ReplyState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NONE = "none"


@dataclass(frozen=True)
class Received:
    """What the webhook does next: send `reply` and note it against `keyword_id`, or against
    `reply_id` for an answer to a reply to an alert text."""

    keyword_id: str | None = None
    reply: str | None = None
    reply_id: str | None = None

    @property
    def evidence_id(self) -> str | None:
        return self.keyword_id or self.reply_id


def receive_text(
    session: Session,
    *,
    provider: str,
    account_id: str | None,
    text: InboundText,
    opt_out_url: str,
    now: datetime,
) -> Received:
    """Act on a verified text from provider kind `provider`, delivered for the provider account
    `account_id` (None: the platform's)."""
    word = sms.keyword_of(text.body)
    if word is None:
        return _answer_to_alert_text(
            session, provider=provider, account_id=account_id, text=text, now=now
        )
    org_id = _org_of(session, account_id)
    keyword_id = new_id("kwd")
    inserted = session.execute(
        insert_ignoring_conflicts(session, table_of(SmsKeyword), on=["provider", "message_id"])
        .values(
            id=keyword_id,
            provider=provider,
            message_id=text.message_id,
            account_id=account_id,
            org_id=org_id,
            from_number=text.from_number,
            to_number=text.to_number,
            keyword=word,
            received_at=now,
            reply=ReplyState.PENDING.value,
        )
        .returning(table_of(SmsKeyword).c.id)
    ).scalar()
    if inserted is None:
        # Delivered again: acted on, and answered, the first time.
        return Received()
    reply, why_not = _act(
        session,
        sms.KEYWORDS[word],
        number=text.from_number,
        org_id=org_id,
        keyword_id=keyword_id,
        opt_out_url=opt_out_url,
        now=now,
    )
    if reply is None:
        row = session.get(SmsKeyword, keyword_id)
        if row is not None:
            row.reply, row.reply_detail = ReplyState.NONE.value, why_not
    return Received(keyword_id, reply)


def _answer_to_alert_text(
    session: Session, *, provider: str, account_id: str | None, text: InboundText, now: datetime
) -> Received:
    reply = parse_reply(text.body)
    if reply is None:
        return Received()
    scope = text_replies.ReplyScope(provider, account_id, _org_of(session, account_id))
    answered = text_replies.receive_reply(session, scope=scope, text=text, reply=reply, now=now)
    if answered is None:
        # Delivered again: acted on, and answered, the first time.
        return Received()
    return Received(reply=answered.answer, reply_id=answered.reply_id)


def _org_of(session: Session, account_id: str | None) -> str | None:
    if account_id is None:
        return None
    account = session.get(ProviderAccount, account_id)
    if account is None:
        # The route found the account before it verified the text; it went since.
        raise NotFound("no such provider account", code="provider_not_configured")
    return account.org_id


def _act(
    session: Session,
    keyword: Keyword,
    *,
    number: str,
    org_id: str | None,
    keyword_id: str,
    opt_out_url: str,
    now: datetime,
) -> tuple[str | None, str | None]:
    """Do what the keyword asks, in its scope (the platform, or the organization `org_id`); the
    reply due, or None and why none is."""
    scope = sms_stops.PLATFORM if org_id is None else org_id
    if keyword is Keyword.STOP:
        newly = sms_stops.stop(session, number=number, scope=scope, keyword_id=keyword_id, now=now)
        _stop_calls(session, number=number, org_id=org_id, keyword_id=keyword_id, now=now)
        if not newly:
            return None, "texts to this number were stopped already"
        return sms.stop_confirmation(platform=org_id is None), None
    if keyword is Keyword.START:
        if not sms_stops.lift(session, number=number, scope=scope, keyword_id=keyword_id, now=now):
            return None, "texts to this number were not stopped"
        return sms.start_confirmation(), None
    if _helped_since(session, number, since=now - HELP_REPLY_GAP, keyword_id=keyword_id):
        return None, "help was sent to this number moments ago"
    return sms.help_text(opt_out_url), None


def _stop_calls(
    session: Session, *, number: str, org_id: str | None, keyword_id: str, now: datetime
) -> None:
    if org_id is None:
        opt_out_by_text(session, number=number, keyword_id=keyword_id, now=now)
        return
    stop_calling(
        session,
        org_id=org_id,
        number=number,
        source="sms",
        actor=Actor("sms_sender", number),
        now=now,
    )


def _helped_since(session: Session, number: str, *, since: datetime, keyword_id: str) -> bool:
    found = session.scalar(
        select(SmsKeyword.id)
        .where(
            SmsKeyword.from_number == number,
            SmsKeyword.keyword.in_(_HELP_WORDS),
            SmsKeyword.reply.in_([ReplyState.PENDING.value, ReplyState.SENT.value]),
            SmsKeyword.received_at > since,
            SmsKeyword.id != keyword_id,
        )
        .limit(1)
    )
    return found is not None


def note_reply(
    session: Session, *, evidence_id: str, reference: str | None, error: str | None
) -> None:
    """What became of the answer (to a keyword, or to a reply to an alert text): the
    provider's id of it, or why it was not sent."""
    if text_replies.note_reply(session, reply_id=evidence_id, reference=reference, error=error):
        return
    row = session.get(SmsKeyword, evidence_id)
    if row is None:
        return
    row.reply = (ReplyState.FAILED if error is not None else ReplyState.SENT).value
    row.reply_ref, row.reply_detail = reference, error
