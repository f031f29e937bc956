"""What adapters show of organizations: members with their roles, and invites."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Invite, Membership, Role, User
from tocsin.core.pagination import Page, paginate


class Member(NamedTuple):
    user: User
    role: Role
    joined_at: datetime


def members_page(session: Session, *, org_id: str, limit: int, cursor: str | None) -> Page[Member]:
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
    )
    page = paginate(session, query, User.id, limit=limit, cursor=cursor)
    joined = {
        user_id: (Role(role), created_at)
        for user_id, role, created_at in session.execute(
            select(Membership.user_id, Membership.role, Membership.created_at).where(
                Membership.org_id == org_id,
                Membership.user_id.in_([user.id for user in page.items]),
            )
        ).all()
    }
    return Page(
        [Member(user, *joined[user.id]) for user in page.items], next_cursor=page.next_cursor
    )


def all_members(session: Session, *, org_id: str) -> list[Member]:
    """Everyone, in the order they joined (the dashboard lists them on one page)."""
    rows = session.execute(
        select(User, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(Membership.created_at, User.id)
    ).all()
    return [Member(user, Role(role), joined_at) for user, role, joined_at in rows]


def invites_page(session: Session, *, org_id: str, limit: int, cursor: str | None) -> Page[Invite]:
    return paginate(
        session,
        select(Invite).where(Invite.org_id == org_id),
        Invite.id,
        limit=limit,
        cursor=cursor,
    )


def open_invites(session: Session, *, org_id: str, now: datetime) -> list[Invite]:
    """Invites that can still be accepted, newest first."""
    return list(
        session.scalars(
            select(Invite)
            .where(
                Invite.org_id == org_id,
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
            .order_by(Invite.created_at.desc(), Invite.id)
        )
    )
