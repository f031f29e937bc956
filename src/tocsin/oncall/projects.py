"""Projects (teams): endpoints, escalation policies, schedules and members that belong together.
A member may be in several. Roles stay the organization's; a restricted project is changed only
by the organization's owners and the project's editors (admins otherwise), and so is what
belongs to it: `require_project_editor` is the check every command that changes such a thing
asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import column, delete, func, select, table, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from tocsin.accounts.models import Membership, Role, User
from tocsin.accounts.service import membership_role, person_of
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.oncall.access import SHELL, require_member
from tocsin.oncall.checks import checked_timezone
from tocsin.oncall.models import Project, ProjectMember
from tocsin.restrictions.blocks import require_writable

MAX_DESCRIPTION = 2000

# What belongs to a project, by table: endpoints sit above on-call (they page its people).
_ENDPOINTS = table(
    "endpoints", column("id"), column("name"), column("org_id"), column("project_id")
)
_POLICIES = table(
    "escalation_policies", column("id"), column("name"), column("org_id"), column("project_id")
)


@dataclass(frozen=True)
class ProjectMemberView:
    user_id: str
    display_name: str
    can_edit: bool


@dataclass(frozen=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True)
class ProjectView:
    project: Project
    members: list[ProjectMemberView]
    endpoints: list[Named]
    policies: list[Named]


def get_project(session: Session, *, org_id: str, project_id: str) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id, Project.org_id == org_id)
    )
    if project is None:
        raise NotFound("project not found", code="project_not_found")
    return project


def may_edit(session: Session, project: Project, actor: Actor) -> bool:
    """Whether `actor` may change the project or what belongs to it."""
    if actor.type == SHELL:
        return True
    person = person_of(session, actor)
    role = membership_role(session, project.org_id, person) if person else None
    if not project.restricted:
        # An API key acts as the organization's admins do, as it does for contacts.
        return actor.type == "api_key" or (role is not None and role.rank >= Role.ADMIN.rank)
    if role == Role.OWNER:
        return True
    return bool(
        person
        and session.scalar(
            select(ProjectMember.can_edit).where(
                ProjectMember.project_id == project.id, ProjectMember.user_id == person
            )
        )
    )


def require_project_editor(
    session: Session, *, org_id: str, project_id: str, actor: Actor
) -> Project:
    """The project, if `actor` may change it or what belongs to it: NotFound for a project of
    another organization, Forbidden (`project_restricted`) for someone it does not let in."""
    project = get_project(session, org_id=org_id, project_id=project_id)
    if not may_edit(session, project, actor):
        raise Forbidden(
            f"only the organization's owners and the editors of {project.name} may change it"
            if project.restricted
            else "this action needs the admin role",
            code="project_restricted" if project.restricted else "insufficient_role",
        )
    return project


def list_projects(session: Session, *, org_id: str) -> list[Project]:
    return list(
        session.scalars(
            select(Project).where(Project.org_id == org_id).order_by(Project.name, Project.id)
        )
    )


def projects_of(session: Session, *, org_id: str, user_id: str) -> list[Project]:
    """The projects a member belongs to."""
    return list(
        session.scalars(
            select(Project)
            .join(ProjectMember, ProjectMember.project_id == Project.id)
            .where(Project.org_id == org_id, ProjectMember.user_id == user_id)
            .order_by(Project.name, Project.id)
        )
    )


def project_view(session: Session, *, org_id: str, project_id: str) -> ProjectView:
    project = get_project(session, org_id=org_id, project_id=project_id)
    members = [
        ProjectMemberView(user_id, name, bool(can_edit))
        for user_id, name, can_edit in session.execute(
            select(ProjectMember.user_id, User.display_name, ProjectMember.can_edit)
            .join(User, User.id == ProjectMember.user_id)
            .join(
                Membership,
                (Membership.user_id == ProjectMember.user_id) & (Membership.org_id == org_id),
            )
            .where(ProjectMember.project_id == project_id)
            .order_by(ProjectMember.position)
        )
    ]
    return ProjectView(
        project,
        members,
        _belonging(session, _ENDPOINTS, org_id, project_id),
        _belonging(session, _POLICIES, org_id, project_id),
    )


def _belonging(session: Session, things: TableClause, org_id: str, project_id: str) -> list[Named]:
    columns = things.c
    rows = session.execute(
        select(columns.id, columns.name)
        .where(columns.org_id == org_id, columns.project_id == project_id)
        .order_by(columns.name, columns.id)
    )
    return [Named(thing_id, name) for thing_id, name in rows]


def create_project(
    session: Session,
    *,
    org_id: str,
    name: str,
    description: str = "",
    restricted: bool = False,
    timezone: str | None = None,
    actor: Actor,
    now: datetime,
) -> Project:
    """A new project; whoever may make one (an admin) decides whether it is restricted.
    `timezone`: the zone its endpoints' business-hours rules read (None: the organization's)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    project = Project(
        id=new_id("prj"),
        org_id=org_id,
        name=clean_name(name),
        description=_description(description),
        restricted=restricted,
        timezone=_zone(timezone),
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    session.flush()
    _record(session, actor, AuditAction.PROJECT_CREATED, now, project, {"restricted": restricted})
    return project


def update_project(
    session: Session,
    *,
    org_id: str,
    project_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    restricted: bool | None = None,
    timezone: str | None = None,
) -> Project:
    """None leaves a field as it is; a `timezone` of "" goes back to the organization's."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    project = require_project_editor(session, org_id=org_id, project_id=project_id, actor=actor)
    if name is not None:
        project.name = clean_name(name)
    if description is not None:
        project.description = _description(description)
    if restricted is not None:
        project.restricted = restricted
    if timezone is not None:
        project.timezone = _zone(timezone)
    project.updated_at = now
    _record(
        session,
        actor,
        AuditAction.PROJECT_UPDATED,
        now,
        project,
        {"restricted": project.restricted, "timezone": project.timezone},
    )
    return project


def delete_project(
    session: Session, *, org_id: str, project_id: str, actor: Actor, now: datetime
) -> None:
    """What belonged to the project stays, in no project (the foreign keys set it NULL)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    project = require_project_editor(session, org_id=org_id, project_id=project_id, actor=actor)
    for things in (_ENDPOINTS, _POLICIES):
        session.execute(
            update(things)
            .where(things.c.org_id == org_id, things.c.project_id == project_id)
            .values(project_id=None)
        )
    session.delete(project)
    session.flush()
    _record(session, actor, AuditAction.PROJECT_DELETED, now, project, {"name": project.name})


def add_project_member(
    session: Session,
    *,
    org_id: str,
    project_id: str,
    user_id: str,
    can_edit: bool,
    actor: Actor,
    now: datetime,
) -> ProjectMember:
    """Add a member of the organization to the project, or change whether they may edit it."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    project = require_project_editor(session, org_id=org_id, project_id=project_id, actor=actor)
    require_member(session, org_id=org_id, user_id=user_id)
    member = session.get(ProjectMember, (project_id, user_id))
    if member is None:
        last = session.scalar(
            select(func.max(ProjectMember.position)).where(ProjectMember.project_id == project_id)
        )
        member = ProjectMember(
            project_id=project_id,
            user_id=user_id,
            position=(last + 1) if last is not None else 0,
            can_edit=can_edit,
            created_at=now,
        )
        session.add(member)
    member.can_edit = can_edit
    session.flush()
    _record(
        session,
        actor,
        AuditAction.PROJECT_MEMBER_ADDED,
        now,
        project,
        {"user_id": user_id, "can_edit": can_edit},
    )
    return member


def remove_project_member(
    session: Session, *, org_id: str, project_id: str, user_id: str, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    project = require_project_editor(session, org_id=org_id, project_id=project_id, actor=actor)
    removed = session.execute(
        delete(ProjectMember)
        .where(ProjectMember.project_id == project_id, ProjectMember.user_id == user_id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not removed:
        raise NotFound("member not found in this project", code="member_not_found")
    _record(session, actor, AuditAction.PROJECT_MEMBER_REMOVED, now, project, {"user_id": user_id})


def _zone(name: str | None) -> str | None:
    return checked_timezone(name) if name else None


def _description(value: str) -> str:
    cleaned = value.strip()
    if len(cleaned) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a description is at most {MAX_DESCRIPTION} characters", code="invalid_description"
        )
    return cleaned


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    now: datetime,
    project: Project,
    details: dict[str, object],
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=project.org_id,
        target_type="project",
        target_id=project.id,
        details=dict(details),
    )
