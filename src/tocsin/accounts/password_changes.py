"""Changing a password, knowing the current one; and what every new password brings with it,
by this form or by a reset link (accounts/password_resets.py).

A new password ends every other sign-in: browser sessions, and refresh tokens everywhere with
the access tokens issued with them (accounts/revocations.py), so whoever had the old password
(the reason to change it, often) is out at once. Reset links not yet used are voided with it,
and the address is told by mail, with nothing in the message that acts on the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from tocsin.accounts import passwords, service, sign_in_limits, web_sessions
from tocsin.accounts.email_addresses import mail_is_on
from tocsin.accounts.models import PasswordReset, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import InvalidInput, Unauthorized
from tocsin.core.ratelimit import RateLimiter
from tocsin.mail import outbox
from tocsin.mail.letters import Letter, write_letter
from tocsin.mail.models import MailKind

# A notice is worth sending for this long; past it the outbox gives it up.
NOTICE_LIFETIME = timedelta(days=1)


class Context(Protocol):
    """What these commands read from the running process (Runtime has it all)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def rate_limiter(self) -> RateLimiter: ...


@dataclass(frozen=True)
class SignedOut:
    """What a new password ended."""

    web_sessions: int
    refresh_tokens: int


def change(
    session: Session,
    context: Context,
    *,
    user_id: str,
    current_password: str,
    new_password: str,
    actor: Actor,
    now: datetime,
    keep_web_session: str | None = None,
) -> User:
    """A new password for the signed-in user, who proves they know the current one: a wrong
    one counts against the account's sign-in buckets (accounts/sign_in_limits.py), so a
    session left open is no faster a way to guess it. The dashboard keeps its own session
    (`keep_web_session`); the API answers with a new token pair of its own."""
    user = service.get_user(session, user_id)
    attempt = sign_in_limits.code_attempt(
        session, context.rate_limiter, user=user, ip_address=actor.ip_address, now=now
    )
    with attempt.guessing():
        if not passwords.verify_password(user.password_hash, current_password):
            raise Unauthorized("the current password is wrong", code="invalid_credentials")
    if new_password == current_password:
        raise InvalidInput("the new password is the one you have", code="same_password")
    ended = replace(
        session, context, user=user, new_password=new_password, now=now, keep=keep_web_session
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_PASSWORD_CHANGED,
        at=now,
        target_type="user",
        target_id=user.id,
        details={
            "web_sessions_ended": ended.web_sessions,
            "refresh_tokens_revoked": ended.refresh_tokens,
        },
    )
    return user


def replace(
    session: Session,
    context: Context,
    *,
    user: User,
    new_password: str,
    now: datetime,
    keep: str | None = None,
    by_reset: bool = False,
) -> SignedOut:
    """Set the new password (held to the strength rules), end every other sign-in, void the
    reset links not used yet, and tell the address. The caller audits why."""
    passwords.check_strength(new_password, email=user.email)
    user.password_hash = passwords.hash_password(new_password)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    for voided in (MailKind.PASSWORD_RESET, MailKind.SIGN_UP_REPEATED):
        outbox.cancel_pending(session, user_id=user.id, kind=voided, now=now)
    ended = SignedOut(
        web_sessions=web_sessions.close_all_of(session, user_ids=[user.id], now=now, keep=keep),
        refresh_tokens=service.revoke_refresh_tokens_of(session, user_ids=[user.id], now=now),
    )
    if mail_is_on(context.settings):
        outbox.queue(
            session,
            kind=MailKind.PASSWORD_CHANGED,
            to=user.email,
            letter=_changed_letter(context.settings.public_base_url, by_reset=by_reset),
            now=now,
            expires_at=now + NOTICE_LIFETIME,
            user_id=user.id,
        )
    return ended


def _changed_letter(base_url: str, *, by_reset: bool) -> Letter:
    how = "with a reset link mailed to this address" if by_reset else "on the account's settings"
    return write_letter(
        "Your Tocsin password was changed",
        [
            f"The password of your Tocsin account at {base_url.rstrip('/')} was changed {how}. "
            "Every other browser and app signed in to it was signed out.",
            "If you did not change it, someone else can reach your account or this mailbox: "
            "ask for a reset link on the sign-in page at once, and tell the operator of this "
            "Tocsin server.",
        ],
    )
