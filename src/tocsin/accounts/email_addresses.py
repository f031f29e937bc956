"""Proving an e-mail address: a link mailed to it, with a signed single-use token.

On sign-up and on every change of address, a row of `email_verifications` is written and a link
`{public_base_url}/verify-email?token=...` is queued in the outbox (mail/outbox.py): commands
write rows, the worker mails them. The token is the row's id and an HMAC (keyed by the instance
secret) over the id, the user, the address and the expiry, so it cannot be forged or moved to
another user or address; it works once, for `LINK_LIFETIME`, while the user still has that
address. A new link can be asked for once a minute, `LINKS_PER_DAY` a day.

What needs a verified address (docs/trust.md, "E-mail"): starting a free trial (every owner's
address is one of the trial's claims, so an unverified one identifies nobody); notices are
mailed only to verified addresses. Signing in, creating keys, provider accounts and accepting
an invite do not.

Without TOCSIN_SMTP_URL no link is sent; the operator verifies an address with
`tocsin user verify-email`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.accounts import passwords
from tocsin.accounts.models import EmailVerification, User
from tocsin.accounts.service import find_user_by_email, get_user, normalise_email
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import Conflict, InvalidInput, Unauthorized, Unavailable
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import RateLimited
from tocsin.mail import outbox
from tocsin.mail.letters import Letter, Link, write_letter
from tocsin.mail.models import MailKind

LINK_LIFETIME = timedelta(hours=24)
RESEND_SPACING = timedelta(minutes=1)
LINKS_PER_DAY = 5
_TOKEN = re.compile(r"(emv_[0-9a-z]{26})\.([A-Za-z0-9_-]{43})")


class Context(Protocol):
    """What these commands read from the running process (Runtime has it all)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def email_verification_key(self) -> bytes: ...


def mail_is_on(settings: Settings) -> bool:
    return settings.smtp_url is not None and bool(settings.smtp_url.get_secret_value().strip())


# Tokens ----------------------------------------------------------------------------------------


def _signature(key: bytes, row: EmailVerification) -> str:
    signed = f"{row.id}\n{row.user_id}\n{row.email}\n{int(row.expires_at.timestamp())}"
    mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_for(key: bytes, row: EmailVerification) -> str:
    return f"{row.id}.{_signature(key, row)}"


def _invalid_token() -> InvalidInput:
    return InvalidInput("this verification link is not valid", code="email_token_invalid")


def _row_of_token(session: Session, key: bytes, token: str) -> EmailVerification:
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise _invalid_token()
    row = session.get(EmailVerification, match.group(1), with_for_update=True)
    expected = _signature(key, row) if row is not None else "0" * 43
    if row is None or not hmac.compare_digest(expected, match.group(2)):
        raise _invalid_token()
    return row


# Sending links ---------------------------------------------------------------------------------


def send_link(
    session: Session,
    context: Context,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    spacing: bool = True,
) -> EmailVerification | None:
    """Queue a link to the user's address unless it is verified or mail is off; refused past
    the limits (`spacing`: at most one a minute)."""
    if user.email_verified_at is not None or not mail_is_on(context.settings):
        return None
    _check_limits(session, user.id, now, spacing=spacing)
    row = EmailVerification(
        id=new_id("emv"),
        user_id=user.id,
        email=user.email,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(row)
    link = (
        f"{context.settings.public_base_url.rstrip('/')}/verify-email?"
        f"token={token_for(context.email_verification_key, row)}"
    )
    outbox.queue(
        session,
        kind=MailKind.EMAIL_VERIFICATION,
        to=user.email,
        letter=_link_letter(context.settings.public_base_url, link),
        now=now,
        expires_at=row.expires_at,
        user_id=user.id,
    )
    _record(session, actor, AuditAction.USER_EMAIL_LINK_SENT, user.id, now, {"email": user.email})
    return row


def request_link(
    session: Session, context: Context, *, user_id: str, actor: Actor, now: datetime
) -> User:
    """The user asks for a new link (the last one expired or went astray)."""
    user = get_user(session, user_id)
    if user.email_verified_at is None:
        if not mail_is_on(context.settings):
            raise Unavailable(
                "e-mail is off on this server; ask its operator to verify your address",
                code="mail_off",
            )
        send_link(session, context, user=user, actor=actor, now=now)
    return user


def _check_limits(session: Session, user_id: str, now: datetime, *, spacing: bool) -> None:
    recent = session.scalars(
        select(EmailVerification.created_at)
        .where(
            EmailVerification.user_id == user_id,
            EmailVerification.created_at > now - timedelta(days=1),
        )
        .order_by(EmailVerification.created_at)
    ).all()
    if len(recent) >= LINKS_PER_DAY:
        wait = recent[-LINKS_PER_DAY] + timedelta(days=1) - now
        raise RateLimited(
            f"{LINKS_PER_DAY} verification links a day at most; try again later",
            retry_after=max(1, int(wait.total_seconds()) + 1),
        )
    if spacing and recent and recent[-1] > now - RESEND_SPACING:
        wait = recent[-1] + RESEND_SPACING - now
        raise RateLimited(
            "a verification link was sent less than a minute ago; look in your mailbox first",
            retry_after=max(1, int(wait.total_seconds()) + 1),
        )


def _link_letter(base_url: str, link: str) -> Letter:
    return write_letter(
        "Confirm your e-mail address for Tocsin",
        [
            f"Someone, we hope you, gave this address to Tocsin at {base_url.rstrip('/')}.",
            "To confirm that it is yours, open the link below within 24 hours. Notices about "
            "your organizations (quotas, payments, enforcement, policy changes) are mailed "
            "only to confirmed addresses, and a free trial starts only once it is confirmed.",
        ],
        link=Link("Confirm this address", link),
        after=["If it was not you, ignore this message: the address stays unconfirmed."],
    )


def _changed_letter(base_url: str, old: str, new: str) -> Letter:
    return write_letter(
        "The e-mail address of your Tocsin account was changed",
        [
            f"The e-mail address of your Tocsin account at {base_url.rstrip('/')} was changed "
            f"from {old} to {new}. Tocsin will not write to {old} again.",
            "If you did not change it, someone else has your password: tell the operator of "
            "this Tocsin server at once.",
        ],
    )


# Confirming -------------------------------------------------------------------------------------


def confirm(
    session: Session, context: Context, *, token: str, ip_address: str | None, now: datetime
) -> User:
    """Follow a link: the user's address is verified, once. Whoever holds the link acts as the
    user it was mailed to, which is what it proves."""
    row = _row_of_token(session, context.email_verification_key, token)
    if row.used_at is not None:
        raise Conflict("this verification link was already used", code="email_token_used")
    if row.expires_at <= now:
        raise Conflict(
            "this verification link has expired; ask for a new one", code="email_token_expired"
        )
    user = get_user(session, row.user_id)
    if user.email != row.email:
        raise Conflict(
            "this link is for an address the account no longer has", code="email_token_stale"
        )
    # The conditional update is what makes the link single-use when two requests race.
    used = session.execute(
        update(EmailVerification)
        .where(EmailVerification.id == row.id, EmailVerification.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this verification link was already used", code="email_token_used")
    mark_verified(session, user, Actor("user", user.id, ip_address), now, how="link")
    return user


def verify_by_operator(session: Session, *, email: str, actor: Actor, now: datetime) -> User:
    """The operator vouches for the address (`tocsin user verify-email`): for servers without
    mail, or a user whose mail never arrives."""
    user = find_user_by_email(session, email)
    if user.email_verified_at is None:
        mark_verified(session, user, actor, now, how="operator")
    return user


def mark_verified(session: Session, user: User, actor: Actor, now: datetime, *, how: str) -> None:
    """The user's address is proved (`how`: "link", "operator", or "password_reset", a reset
    link mailed to it having been followed)."""
    user.email_verified_at = now
    outbox.cancel_pending(session, user_id=user.id, kind=MailKind.EMAIL_VERIFICATION, now=now)
    _record(
        session,
        actor,
        AuditAction.USER_EMAIL_VERIFIED,
        user.id,
        now,
        {"email": user.email, "by": how},
    )


# Changing the address --------------------------------------------------------------------------


def change(
    session: Session,
    context: Context,
    *,
    user_id: str,
    email: str,
    password: str,
    actor: Actor,
    now: datetime,
) -> User:
    """A new address, which must be verified again; the old one, if it was verified, is told.
    Takes the password, so a session left open cannot move the account elsewhere."""
    user = get_user(session, user_id)
    if not passwords.verify_password(user.password_hash, password):
        raise Unauthorized("the password is wrong", code="invalid_credentials")
    new = normalise_email(email)
    if new == user.email:
        return user
    if session.scalar(select(User.id).where(User.email == new)) is not None:
        raise Conflict("a user with this email already exists", code="email_taken")
    old, old_verified = user.email, user.email_verified_at is not None
    user.email, user.email_verified_at = new, None
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same address won
        raise Conflict("a user with this email already exists", code="email_taken") from exc
    outbox.cancel_pending(session, user_id=user.id, kind=MailKind.EMAIL_VERIFICATION, now=now)
    _record(session, actor, AuditAction.USER_EMAIL_CHANGED, user.id, now, {"from": old, "to": new})
    send_link(session, context, user=user, actor=actor, now=now, spacing=False)
    if old_verified and mail_is_on(context.settings):
        outbox.queue(
            session,
            kind=MailKind.EMAIL_CHANGED,
            to=old,
            letter=_changed_letter(context.settings.public_base_url, old, new),
            now=now,
            expires_at=now + LINK_LIFETIME,
            user_id=user.id,
        )
    return user


# Reads -----------------------------------------------------------------------------------------


def unverified_addresses(session: Session, user_ids: Sequence[str]) -> list[str]:
    """The addresses of these users that nobody has proved, sorted."""
    if not user_ids:
        return []
    return sorted(
        session.scalars(
            select(User.email).where(User.id.in_(user_ids), User.email_verified_at.is_(None))
        )
    )


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    user_id: str,
    now: datetime,
    details: dict[str, str],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        target_type="user",
        target_id=user_id,
        details=details,
    )
