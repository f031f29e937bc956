"""What a sign-up could be refused for, decided from the address alone, before anyone looks
whether the address has an account.

Sign-up answers a taken address as it answers a new one (organizations/registration.py), so a
refusal must not hang on which it is: an invite code that does not work, or an address a
termination marked, is refused alike for both. These checks change nothing; the sign-up of a
new address then makes its user and runs the commands that check the same again
(`commands.accept_invite`, `commands.check_new_organization`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts import service as accounts
from tocsin.billing.limits import Resource, check_room
from tocsin.billing.marks import check_not_marked
from tocsin.billing.trials import ClaimKind, claim
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.organizations.commands import Context, CreationRefused
from tocsin.restrictions.blocks import require_writable

# A person not yet made: asks as a user, but one no enforcement can have named.
_NEWCOMER = Actor("user", None)


def check_invite(
    session: Session, context: Context, *, code: str, email: str, now: datetime
) -> None:
    """What `commands.accept_invite` would refuse a newcomer with this address."""
    invite = accounts.usable_invite(
        session, code=code, email=email, now=now, digest_key=context.invite_digest_key
    )
    require_writable(session, org_id=invite.org_id, actor=_NEWCOMER, now=now)
    check_room(
        session, org_id=invite.org_id, resource=Resource.MEMBERS, billing=context.billing, now=now
    )


def check_newcomer(session: Session, context: Context, *, email: str) -> None:
    """What `commands.check_new_organization` refuses someone signing up with this address: a
    standing termination that marked it (a new user's id cannot have been marked)."""
    try:
        check_not_marked(
            session,
            [claim(ClaimKind.EMAIL, email, digest_key=context.billing_digest_key)],
            what="a new organization",
        )
    except Forbidden as refusal:
        raise CreationRefused(refusal, user_id=None, email=email) from refusal
