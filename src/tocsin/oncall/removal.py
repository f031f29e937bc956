"""What on-call forgets of a member who leaves an organization: their own numbers (with the
consent those carried), their notification rules and their places in its projects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.contacts import commands as contacts
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.numbers.consent import Withdrawal
from tocsin.oncall.models import NotificationRule, Project, ProjectMember


def forget_member(
    session: Session, *, org_id: str, user_id: str, actor: Actor, now: datetime
) -> None:
    """Called when the membership goes (organizations.commands.remove_member): a number of
    someone who is no longer a member must not be called on their behalf, nor kept."""
    rules = session.execute(
        delete(NotificationRule)
        .where(NotificationRule.org_id == org_id, NotificationRule.user_id == user_id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    numbers = list(
        session.scalars(select(Contact).where(Contact.org_id == org_id, Contact.user_id == user_id))
    )
    for contact in numbers:
        contacts.discard_number(session, contact, Withdrawal.MEMBER_LEFT, actor=actor, now=now)
    projects = list(
        session.scalars(
            select(ProjectMember.project_id)
            .join(Project, Project.id == ProjectMember.project_id)
            .where(Project.org_id == org_id, ProjectMember.user_id == user_id)
        )
    )
    if projects:
        session.execute(
            delete(ProjectMember)
            .where(ProjectMember.user_id == user_id, ProjectMember.project_id.in_(projects))
            .execution_options(synchronize_session=False)
        )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PERSON_FORGOTTEN,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={
            "numbers": [contact.phone_e164 for contact in numbers],
            "rules": int(rules or 0),
            "projects": sorted(projects),
        },
    )
