"""Setting a new password without the old one, by a link mailed to the account's address.

A link is `{public_base_url}/reset-password?token=pwr_...`: 32 random bytes, of which only an
HMAC digest (keyed by the instance secret) is stored, so a copy of the database resets nobody's
password. It works once, for `LINK_LIFETIME`, while the user still has the address it was
mailed to; using it (or any new password) voids the user's other links, ends every sign-in
(accounts/password_changes.py) and proves the address, as a verification link would. Two-step
sign-in stays on: the link replaces the password, not the authenticator.

Asking for a link (`request`) is answered alike whether or not the address has an account, and
is rate limited per client and per address (`limit_requests`, counted for every address
asked); past that, one account is mailed at most `LINKS_PER_DAY` links, silently, so the answer
never changes. A sign-up with an address that has an account mails its owner a link too
(`tell_of_sign_up`), and the operator prints one with `tocsin user reset-password`
(`link_for_operator`), the way in on a server without TOCSIN_SMTP_URL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tocsin.accounts import email_addresses, password_changes, passwords, service
from tocsin.accounts.models import PasswordReset, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, Unavailable
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import Limits
from tocsin.mail import outbox
from tocsin.mail.letters import Letter, Link, write_letter
from tocsin.mail.models import MailKind

LINK_LIFETIME = timedelta(minutes=30)
LINKS_PER_DAY = 5
_TOKEN = re.compile(r"pwr_[A-Za-z0-9_-]{43}")


class Context(password_changes.Context, Protocol):
    """What these commands read from the running process (Runtime has it all)."""

    @property
    def password_reset_key(self) -> bytes: ...


class Reason(StrEnum):
    REQUEST = "request"
    SIGN_UP = "sign_up"
    OPERATOR = "operator"


# Asking ----------------------------------------------------------------------------------------


def limit_requests(context: Context, *, email: str, ip_address: str | None) -> None:
    """Count a request per client and per address, whether or not the address has an account
    (TOCSIN_RATE_LIMIT_PASSWORD_RESET, TOCSIN_RATE_LIMIT_PASSWORD_RESET_EMAIL)."""
    limiter = context.rate_limiter
    limiter.hit(Limits.PASSWORD_RESET, ip_address or "-", what="password reset requests")
    limiter.hit(
        Limits.PASSWORD_RESET_EMAIL,
        email.strip().lower(),
        what="password reset requests for this address",
    )


def request(
    session: Session, context: Context, *, email: str, ip_address: str | None, now: datetime
) -> None:
    """Mail a link to the address if it has an account; nothing tells the caller whether it
    does. Without mail on the server, Unavailable for every address."""
    if not email_addresses.mail_is_on(context.settings):
        raise Unavailable(
            "e-mail is off on this server, so no reset link can be mailed; ask its operator "
            "for one (tocsin user reset-password)",
            code="mail_off",
        )
    user = session.scalar(select(User).where(User.email == service.normalise_email(email)))
    if user is None:
        return
    mailed = _mail_link(session, context, user=user, reason=Reason.REQUEST, now=now)
    _record_request(session, Actor("public", None, ip_address), user, now, "request", mailed)


def tell_of_sign_up(
    session: Session, context: Context, *, user: User, ip_address: str | None, now: datetime
) -> None:
    """Someone signed up with this user's address: mail its owner a reset link rather than
    tell the one signing up that the address has an account."""
    mailed = email_addresses.mail_is_on(context.settings) and _mail_link(
        session, context, user=user, reason=Reason.SIGN_UP, now=now
    )
    audit.record(
        session,
        actor=Actor("public", None, ip_address),
        action=AuditAction.USER_SIGN_UP_REPEATED,
        at=now,
        target_type="user",
        target_id=user.id,
        details={"mailed": mailed},
    )


def link_for_operator(
    session: Session, context: Context, *, email: str, actor: Actor, now: datetime
) -> tuple[str, PasswordReset]:
    """A link for the operator to hand over (`tocsin user reset-password`); nothing is mailed."""
    user = service.find_user_by_email(session, email)
    row, link = _new_link(session, context, user=user, reason=Reason.OPERATOR, now=now)
    _record_request(session, actor, user, now, "operator", mailed=False)
    return link, row


def _mail_link(
    session: Session, context: Context, *, user: User, reason: Reason, now: datetime
) -> bool:
    """Queue a link to the user's address unless they had `LINKS_PER_DAY` mailed already."""
    mailed_today = session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.reason != Reason.OPERATOR,
            PasswordReset.created_at > now - timedelta(days=1),
        )
    )
    if (mailed_today or 0) >= LINKS_PER_DAY:
        return False
    row, link = _new_link(session, context, user=user, reason=reason, now=now)
    base_url = context.settings.public_base_url
    letter = (
        _sign_up_letter(base_url, link)
        if reason == Reason.SIGN_UP
        else _link_letter(base_url, link)
    )
    outbox.queue(
        session,
        kind=MailKind.SIGN_UP_REPEATED if reason == Reason.SIGN_UP else MailKind.PASSWORD_RESET,
        to=user.email,
        letter=letter,
        now=now,
        expires_at=row.expires_at,
        user_id=user.id,
    )
    return True


def _new_link(
    session: Session, context: Context, *, user: User, reason: Reason, now: datetime
) -> tuple[PasswordReset, str]:
    token = f"pwr_{secrets.token_urlsafe(32)}"
    row = PasswordReset(
        id=new_id("pwr"),
        user_id=user.id,
        token_digest=_digest(context.password_reset_key, token),
        email=user.email,
        reason=reason.value,
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row, f"{context.settings.public_base_url.rstrip('/')}/reset-password?token={token}"


def _digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


# Using a link -----------------------------------------------------------------------------------


def check(session: Session, context: Context, *, token: str, now: datetime) -> PasswordReset:
    """The link's row if it can still be used (the page it opens asks first, so a dead link
    shows no form); InvalidInput or Conflict saying why not."""
    match = _TOKEN.fullmatch(token.strip())
    row = (
        session.scalar(
            select(PasswordReset).where(
                PasswordReset.token_digest == _digest(context.password_reset_key, match.group())
            )
        )
        if match is not None
        else None
    )
    if row is None:
        raise InvalidInput("this reset link is not valid", code="reset_token_invalid")
    if row.used_at is not None:
        raise Conflict(
            "this reset link was used already, or a newer password voided it; ask for a new one",
            code="reset_token_used",
        )
    if row.expires_at <= now:
        raise Conflict(
            "this reset link has expired (links work for 30 minutes); ask for a new one",
            code="reset_token_expired",
        )
    if service.get_user(session, row.user_id).email != row.email:
        raise Conflict(
            "this link is for an address the account no longer has", code="reset_token_stale"
        )
    return row


def complete(
    session: Session,
    context: Context,
    *,
    token: str,
    new_password: str,
    ip_address: str | None,
    now: datetime,
) -> User:
    """Set the new password with the link, once. A password the strength rules refuse leaves
    the link unused."""
    row = check(session, context, token=token, now=now)
    user = service.get_user(session, row.user_id)
    user_actor = Actor("user", user.id, ip_address)
    passwords.check_strength(new_password, email=user.email)
    # The conditional update is what makes the link single-use when two requests race.
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("this reset link was used already", code="reset_token_used")
    ended = password_changes.replace(
        session, context, user=user, new_password=new_password, now=now, by_reset=True
    )
    if user.email_verified_at is None:
        email_addresses.mark_verified(session, user, user_actor, now, how="password_reset")
    audit.record(
        session,
        actor=user_actor,
        action=AuditAction.USER_PASSWORD_RESET,
        at=now,
        target_type="user",
        target_id=user.id,
        details={
            "link_id": row.id,
            "web_sessions_ended": ended.web_sessions,
            "refresh_tokens_revoked": ended.refresh_tokens,
        },
    )
    return user


# Letters and records ----------------------------------------------------------------------------


def _link_letter(base_url: str, link: str) -> Letter:
    return write_letter(
        "Reset your Tocsin password",
        [
            f"Someone, we hope you, asked to reset the password of the Tocsin account at "
            f"{base_url.rstrip('/')} that has this address.",
            "To choose a new password, open the link below within 30 minutes. It works once, "
            "and signs every browser and app out of the account.",
        ],
        link=Link("Choose a new password", link),
        after=["If it was not you, ignore this message: your password stays as it is."],
    )


def _sign_up_letter(base_url: str, link: str) -> Letter:
    return write_letter(
        "Someone tried to sign up to Tocsin with your address",
        [
            f"Someone, perhaps you, tried to create a Tocsin account at {base_url.rstrip('/')} "
            "with this address, which has an account already. No new account was made.",
            f"If it was you, sign in at {base_url.rstrip('/')}/login. If you forgot your "
            "password, choose a new one with the link below within 30 minutes.",
        ],
        link=Link("Choose a new password", link),
        after=["If it was not you, ignore this message: nothing about your account changed."],
    )


def _record_request(
    session: Session, actor: Actor, user: User, now: datetime, by: str, mailed: bool
) -> None:
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_PASSWORD_RESET_REQUESTED,
        at=now,
        target_type="user",
        target_id=user.id,
        details={"by": by, "mailed": mailed},
    )
