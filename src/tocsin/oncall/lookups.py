"""Whether the people, schedules and projects a rule or an escalation step names are this
organization's: the tenant check of every routing target that is not a contact."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership
from tocsin.core.errors import NotFound
from tocsin.oncall.models import Project, Schedule


def check_targets(
    session: Session,
    *,
    org_id: str,
    user_ids: Iterable[str] = (),
    schedule_ids: Iterable[str] = (),
    project_ids: Iterable[str] = (),
) -> None:
    """NotFound, naming the first id that is not a member, schedule or project of `org_id`."""
    for wanted, column, org_column, what in (
        (set(user_ids), Membership.user_id, Membership.org_id, "member"),
        (set(schedule_ids), Schedule.id, Schedule.org_id, "schedule"),
        (set(project_ids), Project.id, Project.org_id, "project"),
    ):
        if not wanted:
            continue
        found = set(session.scalars(select(column).where(org_column == org_id, column.in_(wanted))))
        missing = sorted(wanted - found)
        if missing:
            raise NotFound(f"{what} not found: {missing[0]}", code=f"{what}_not_found")
