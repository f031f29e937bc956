"""Names for the ids that recorded details carry (an audit event's `endpoint_id`, a route's
`escalation_id`, a notification's `user_id`), so that pages show who and what rather than ids:
an alert's timeline, within its organization, and the platform console, across them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tocsin.accounts.models import ApiKey, Organization, User
from tocsin.contacts.models import Contact
from tocsin.endpoints.models import Endpoint, EscalationPolicy
from tocsin.oncall.models import Project, Rotation, Schedule

_Columns = tuple[InstrumentedAttribute[str], InstrumentedAttribute[str], InstrumentedAttribute[str]]
# What details may name, by the prefix of its id (core.ids.new_id): the id, organization and
# name columns to read. Members and organizations are read apart.
_BY_PREFIX: dict[str, _Columns] = {
    "ct": (Contact.id, Contact.org_id, Contact.name),
    "ep": (Endpoint.id, Endpoint.org_id, Endpoint.name),
    "esp": (EscalationPolicy.id, EscalationPolicy.org_id, EscalationPolicy.name),
    "sch": (Schedule.id, Schedule.org_id, Schedule.name),
    "rot": (Rotation.id, Rotation.org_id, Rotation.name),
    "prj": (Project.id, Project.org_id, Project.name),
    "key": (ApiKey.id, ApiKey.org_id, ApiKey.name),
}


def names_in_organization(session: Session, *, org_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Members by name, and the organization's contacts, endpoints, escalation policies,
    schedules, rotations, projects and API keys: one query per kind present (an alert's live
    timeline asks every few seconds). An id of anything else, or another organization's, is
    left out."""
    return _names(session, ids, org_id=org_id)


def names_on_the_platform(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """The same of every organization, and organizations: for the platform console only."""
    return _names(session, ids, org_id=None)


def _names(session: Session, ids: Iterable[str], *, org_id: str | None) -> dict[str, str]:
    by_prefix: dict[str, set[str]] = {}
    for found in ids:
        by_prefix.setdefault(found.partition("_")[0], set()).add(found)
    names = _members(session, by_prefix.pop("usr", set()))
    if org_id is None and "org" in by_prefix:
        rows = session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(by_prefix["org"]))
        )
        names.update({row_id: name for row_id, name in rows})
    for prefix, wanted in by_prefix.items():
        if prefix in _BY_PREFIX:
            id_column, org_column, name_column = _BY_PREFIX[prefix]
            where: list[ColumnElement[bool]] = [id_column.in_(wanted)]
            if org_id is not None:
                where.append(org_column == org_id)
            rows = session.execute(select(id_column, name_column).where(*where))
            names.update({row_id: name for row_id, name in rows})
    return names


def _members(session: Session, user_ids: set[str]) -> dict[str, str]:
    """By display name, or e-mail address when they gave none (as paging.queries.people_named)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(user_ids))
    )
    return {user_id: (shown or "").strip() or email for user_id, shown, email in rows}
