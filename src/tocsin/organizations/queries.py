"""What adapters show of organizations: one by id, lookups for platform staff, members with
their roles, and invites."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Invite, Membership, Organization, Role, User
from tocsin.core.pagination import Page, paginate

LOOKUP_LIMIT = 50


def organization(session: Session, org_id: str) -> Organization | None:
    """The organization with this id, or None (a trust and safety case outlives its
    organization)."""
    return session.get(Organization, org_id)


def find_organizations(session: Session, query: str) -> list[Organization]:
    """Organizations whose id is `query`, or whose name or slug contains it (any case)."""
    needle = query.strip().lower()
    if not needle:
        return []
    return list(
        session.scalars(
            select(Organization)
            .where(
                or_(
                    Organization.id == query.strip(),
                    func.lower(Organization.name).contains(needle, autoescape=True),
                    func.lower(Organization.slug).contains(needle, autoescape=True),
                )
            )
            .order_by(Organization.name)
            .limit(LOOKUP_LIMIT)
        )
    )


def organization_names(session: Session, org_ids: Iterable[str | None]) -> dict[str, str]:
    """Names by id, for lists that show which organization each row is about."""
    wanted = sorted({org_id for org_id in org_ids if org_id})
    if not wanted:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}


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


def organizations_page(session: Session, *, limit: int, cursor: str | None) -> Page[Organization]:
    """Every organization on the server, for the operator's shell."""
    return paginate(session, select(Organization), Organization.id, limit=limit, cursor=cursor)


def users_page(session: Session, *, limit: int, cursor: str | None) -> Page[User]:
    """Every user on the server, for the operator's shell."""
    return paginate(session, select(User), User.id, limit=limit, cursor=cursor)
