"""Appeals: an organization asks for an enforcement action that affects it to be reconsidered,
or staff file one for someone who asked another way (by mail, say).

An organization may appeal an action of any scope that affects it: about itself or one of its
endpoints, about one of its members (a user), or about a number one of its contacts carries or
it holds consent for. An appeal is a case with a target answer date five business days after
it was filed; past that, it shows as overdue in the queue. Each action can be appealed once.
It is decided by a platform administrator other than the one who took the action and the one
who filed the appeal (`trust.deciders`). Granting an appeal lifts the action (and is the only
way a termination is lifted); upholding it leaves the action as it is. Either way the
organization's owners are told.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership
from tocsin.audit.notices import tell_owners
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, NotFound
from tocsin.numbers.models import ConsentRecord
from tocsin.restrictions.kinds import ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust import enforcement
from tocsin.trust.cases import add_business_days, open_case, require_open, update_case
from tocsin.trust.deciders import require_impartial
from tocsin.trust.models import CaseKind, CaseStatus, TrustCase
from tocsin.trust.queries import get_case

ANSWER_WITHIN_BUSINESS_DAYS = 5


class Decision(StrEnum):
    GRANT = "grant"
    UPHOLD = "uphold"


def file_appeal(
    session: Session,
    *,
    org_id: str | None,
    action_id: str,
    statement: str,
    actor: Actor,
    now: datetime,
) -> TrustCase:
    """File the organization's appeal against an action that affects it; with `org_id` None,
    staff file it for whoever asked (the adapter lets only platform administrators do that),
    and the case belongs to the action's organization, if it has one."""
    action = session.get(EnforcementAction, action_id)
    if action is None or (org_id is not None and not _affects(session, action, org_id)):
        raise NotFound("no such enforcement action for this organization", code="action_not_found")
    if action.lifted_at is not None:
        raise Conflict("this action has already been lifted", code="action_lifted")
    case, created = open_case(
        session,
        kind=CaseKind.APPEAL,
        summary=f"Appeal against {action.kind} of {action.scope} {action.target_id}",
        details={"statement": statement, "action_kind": action.kind, "reason": action.reason},
        actor=actor,
        now=now,
        org_id=org_id or action.org_id,
        fingerprint=f"appeal:{action.id}",
        due_at=add_business_days(now, ANSWER_WITHIN_BUSINESS_DAYS),
        action_id=action.id,
    )
    if not created:
        raise Conflict(
            "this action has already been appealed", code="already_appealed",
            details={"case_id": case.id},
        )  # fmt: skip
    return case


def _affects(session: Session, action: EnforcementAction, org_id: str) -> bool:
    """Whether the action is about the organization, one of its endpoints, one of its members,
    or a number it calls (a contact carries it, or it holds or held consent for it)."""
    scope = ActionScope(action.scope)
    if scope in (ActionScope.ORGANIZATION, ActionScope.ENDPOINT):
        return action.org_id == org_id
    if scope == ActionScope.USER:
        return session.get(Membership, (org_id, action.target_id)) is not None
    carried = select(Contact.id).where(
        Contact.org_id == org_id, Contact.phone_e164 == action.target_id
    )
    consented = select(ConsentRecord.id).where(
        ConsentRecord.org_id == org_id, ConsentRecord.phone_e164 == action.target_id
    )
    return session.scalar(select(exists(carried) | exists(consented))) is True


def decide(
    session: Session,
    *,
    case_id: str,
    decision: Decision,
    note: str,
    actor: Actor,
    now: datetime,
) -> TrustCase:
    case = get_case(session, case_id, lock=True)
    if case.kind != CaseKind.APPEAL.value or case.action_id is None:
        raise Conflict("only an appeal can be granted or upheld", code="not_an_appeal")
    require_open(case)
    require_impartial(session, case, actor)
    if decision == Decision.GRANT:
        action = session.get(EnforcementAction, case.action_id)
        if action is not None and action.lifted_at is None:
            enforcement.lift(
                session, action_id=action.id, actor=actor, now=now, granted_appeal=case.id
            )
    update_case(
        session,
        case_id=case.id,
        actor=actor,
        now=now,
        status=CaseStatus.RESOLVED,
        resolution=f"{decision.value}: {note}",
    )
    if case.org_id is not None:
        outcome = "granted and the action lifted" if decision == Decision.GRANT else "upheld"
        tell_owners(
            session,
            org_id=case.org_id,
            kind=f"appeal_{decision.value}",
            period=case.id,
            message=f"Your appeal was {outcome}: {note}",
            now=now,
            actor=actor,
            details={"case_id": case.id, "action_id": case.action_id},
        )
    return case
