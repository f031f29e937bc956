"""Who a call step pages when it names people rather than numbers: members (through their own
notification rules), whoever a schedule has on call at that moment, and every member of a
project.

Worked out when the step runs, never when the alert arrives: an override made while an alert
escalates changes who its next step calls. Everything that leaves a step with fewer people
than it names is said (missing ids, a schedule with nobody on call, a member with no verified
way to be told), because a page that quietly goes nowhere is the worst failure Tocsin has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership
from tocsin.oncall import evaluation
from tocsin.oncall.models import Method, Project, ProjectMember
from tocsin.oncall.people import paging_plan
from tocsin.routing.targets import CallTarget


@dataclass
class People:
    targets: list[CallTarget] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    on_call: list[str] = field(default_factory=list)
    nobody_on_call: list[dict[str, str]] = field(default_factory=list)
    unreachable: list[dict[str, str]] = field(default_factory=list)


def page_people(
    session: Session,
    *,
    org_id: str,
    user_ids: Sequence[str],
    schedule_ids: Sequence[str],
    project_ids: Sequence[str],
    now: datetime,
) -> People:
    people = People()
    wanted: list[str] = []
    members = _members(session, org_id, user_ids)
    for user_id in user_ids:
        if user_id in members:
            wanted.append(user_id)
        else:
            people.missing.append(user_id)
    for schedule_id in schedule_ids:
        now_on_call = evaluation.on_call(session, org_id=org_id, schedule_id=schedule_id, at=now)
        if now_on_call is None:
            people.missing.append(schedule_id)
        elif not now_on_call.user_ids:
            people.nobody_on_call.append(
                {"schedule_id": schedule_id, "schedule": now_on_call.schedule_name}
            )
        else:
            people.on_call.append(now_on_call.describe())
            wanted.extend(now_on_call.user_ids)
    for project_id in project_ids:
        project = session.scalar(
            select(Project.name).where(Project.id == project_id, Project.org_id == org_id)
        )
        if project is None:
            people.missing.append(project_id)
            continue
        team = list(
            session.scalars(
                select(ProjectMember.user_id)
                .join(
                    Membership,
                    (Membership.user_id == ProjectMember.user_id) & (Membership.org_id == org_id),
                )
                .where(ProjectMember.project_id == project_id)
                .order_by(ProjectMember.position)
            )
        )
        if not team:
            people.nobody_on_call.append({"project_id": project_id, "project": project})
            continue
        people.on_call.append(f"{project}: {', '.join(_team_names(session, team))}")
        wanted.extend(team)
    seen: set[str] = set()
    for user_id in wanted:
        if user_id in seen:
            continue
        seen.add(user_id)
        plan, passed_over = paging_plan(session, org_id, user_id)
        if not plan:
            people.unreachable.append(
                {"user_id": user_id, "reason": "no number verified by the member"}
            )
        for rule in passed_over:
            people.unreachable.append(
                {
                    "user_id": user_id,
                    "method": rule.method.value,
                    "contact_id": rule.contact_id or "",
                    "reason": rule.reason,
                }
            )
        for notify in plan:
            to = notify.phone if notify.method != Method.EMAIL else user_id
            if to is None:
                continue
            people.targets.append(
                CallTarget(
                    notify.contact_id,
                    to,
                    channel=notify.method.value,
                    user_id=user_id,
                    delay_seconds=notify.delay_minutes * 60.0,
                )
            )
    return people


def _members(session: Session, org_id: str, user_ids: Sequence[str]) -> set[str]:
    if not user_ids:
        return set()
    return set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.org_id == org_id, Membership.user_id.in_(user_ids)
            )
        )
    )


def _team_names(session: Session, user_ids: Sequence[str]) -> list[str]:
    names = evaluation.names_of(session, user_ids)
    return [names.get(user_id, user_id) for user_id in user_ids]
