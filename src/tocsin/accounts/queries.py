"""Reading organizations and their members: for pages that show one, and for platform staff
who look organizations up. Read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, Organization, User

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


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    display_name: str
    role: str


def members_of(session: Session, org_id: str) -> list[Member]:
    """The organization's members by email."""
    rows = session.execute(
        select(User.id, User.email, User.display_name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(User.email)
    )
    return [Member(row.id, row.email, row.display_name, row.role) for row in rows]
