"""What a termination does besides blocking: it takes away every way in, ends the billing, and
remembers who it was about.

- An organization's termination revokes its API keys and signs every member out (web sessions
  and refresh tokens), asks Paddle to end its live subscriptions at once, and marks its owners,
  emails, numbers, cards and trial claims (billing/marks.py).
- A user's termination signs them out everywhere, revokes the keys they made, and marks them.
  An organization that is not theirs alone, and not itself terminated, keeps the ingest-only
  keys they made so its alerts still page; its owners are told which keys went and which to
  rotate (organizations/api_keys.take_keys_of_terminated_user).

Paddle is asked by the worker after the termination is committed; `trust.subscription_endings`
records each answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts import service as accounts
from tocsin.accounts import web_sessions
from tocsin.billing import cancellations, marks
from tocsin.core.actors import Actor
from tocsin.organizations import api_keys
from tocsin.restrictions.kinds import ActionScope
from tocsin.restrictions.models import EnforcementAction


@dataclass(frozen=True)
class Consequences:
    keys_revoked: int
    sessions_ended: int
    refresh_tokens_revoked: int
    marks: int
    subscriptions_to_cancel: int

    def details(self) -> dict[str, int]:
        return {
            "keys_revoked": self.keys_revoked,
            "sessions_ended": self.sessions_ended,
            "refresh_tokens_revoked": self.refresh_tokens_revoked,
            "identities_marked": self.marks,
            "subscriptions_to_cancel": self.subscriptions_to_cancel,
        }


def apply(
    session: Session, action: EnforcementAction, *, actor: Actor, digest_key: bytes, now: datetime
) -> Consequences:
    """Carry out a termination of a user or an organization (others have none of this)."""
    scope = ActionScope(action.scope)
    if scope == ActionScope.ORGANIZATION:
        users = accounts.member_ids(session, action.target_id)
        keys = accounts.revoke_keys_where(session, org_id=action.target_id, now=now)
        marked = marks.mark_organization(
            session, org_id=action.target_id, action_id=action.id, digest_key=digest_key, now=now
        )
        asked = cancellations.request_cancellations(
            session, org_id=action.target_id, action_id=action.id, now=now
        )
    elif scope == ActionScope.USER:
        users = [action.target_id]
        keys = api_keys.take_keys_of_terminated_user(
            session, user_id=action.target_id, action_id=action.id, actor=actor, now=now
        )
        marked = marks.mark_user(
            session, user_id=action.target_id, action_id=action.id, digest_key=digest_key, now=now
        )
        asked = []
    else:
        return Consequences(0, 0, 0, 0, 0)
    return Consequences(
        keys_revoked=len(keys),
        sessions_ended=web_sessions.close_all_of(session, user_ids=users, now=now),
        refresh_tokens_revoked=accounts.revoke_refresh_tokens_of(session, user_ids=users, now=now),
        marks=marked,
        subscriptions_to_cancel=len(asked),
    )
