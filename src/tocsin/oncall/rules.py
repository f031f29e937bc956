"""Setting a member's notification rules: the whole ordered list at once, e.g. call the mobile
at 0 minutes, text it at 0, call the desk phone at 3. Each voice or SMS rule names one of the
member's own numbers on that channel; an e-mail rule names none (it is the account's address).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.oncall.access import require_manager
from tocsin.oncall.models import Method, NotificationRule
from tocsin.oncall.people import Rule
from tocsin.restrictions.blocks import require_writable

MAX_RULES = 20
# A day: a rule later than that would fire long after anyone waits for an answer.
MAX_DELAY_MINUTES = 1440


def set_rules(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    rules: Sequence[Rule],
    actor: Actor,
    now: datetime,
) -> list[Rule]:
    """Replace the member's rules with `rules`, in order; an empty list goes back to the
    default (their first verified voice number, at once)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    require_manager(session, org_id=org_id, user_id=user_id, actor=actor)
    _check(session, org_id=org_id, user_id=user_id, rules=rules)
    session.execute(
        delete(NotificationRule)
        .where(NotificationRule.org_id == org_id, NotificationRule.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    session.add_all(
        NotificationRule(
            id=new_id("nr"),
            org_id=org_id,
            user_id=user_id,
            position=position,
            method=rule.method.value,
            contact_id=rule.contact_id,
            delay_minutes=rule.delay_minutes,
            created_at=now,
        )
        for position, rule in enumerate(rules)
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PERSON_RULES_SET,
        at=now,
        org_id=org_id,
        target_type="user",
        target_id=user_id,
        details={
            "rules": [
                {"method": r.method.value, "contact_id": r.contact_id, "delay": r.delay_minutes}
                for r in rules
            ]
        },
    )
    return list(rules)


def _check(session: Session, *, org_id: str, user_id: str, rules: Sequence[Rule]) -> None:
    if len(rules) > MAX_RULES:
        raise InvalidInput(f"at most {MAX_RULES} notification rules", code="too_many_rules")
    numbers = dict(
        session.execute(
            select(Contact.id, Contact.channel).where(
                Contact.org_id == org_id, Contact.user_id == user_id
            )
        ).all()
    )
    seen: set[tuple[Method, str | None]] = set()
    for index, rule in enumerate(rules):
        where = {"rule": index}
        if not 0 <= rule.delay_minutes <= MAX_DELAY_MINUTES:
            raise InvalidInput(
                f"rule {index + 1}: a delay is 0 to {MAX_DELAY_MINUTES} minutes",
                code="invalid_delay",
                details=where,
            )
        if rule.method == Method.EMAIL:
            _check_email_rule(session, user_id=user_id, rule=rule, index=index)
        else:
            _check_number_rule(numbers, rule=rule, index=index)
        if (rule.method, rule.contact_id) in seen:
            # The plan would pass over the repeat, so the list would not mean what it says.
            raise InvalidInput(
                f"rule {index + 1} repeats an earlier way to tell the member",
                code="duplicate_rule",
                details=where,
            )
        seen.add((rule.method, rule.contact_id))


def _check_email_rule(session: Session, *, user_id: str, rule: Rule, index: int) -> None:
    if rule.contact_id is not None:
        raise InvalidInput(
            f"rule {index + 1}: an e-mail goes to the account's address and names no number",
            code="invalid_rule",
            details={"rule": index},
        )
    proved = session.scalar(select(User.email_verified_at).where(User.id == user_id))
    if proved is None:
        raise Conflict(
            f"rule {index + 1}: the member's e-mail address is not verified yet",
            code="email_unverified",
            details={"rule": index},
        )


def _check_number_rule(numbers: dict[str, str], *, rule: Rule, index: int) -> None:
    if rule.contact_id is None or rule.contact_id not in numbers:
        # Another member's number, or a plain contact, is as unknown here as a made-up id.
        raise NotFound(
            f"rule {index + 1}: not one of this member's numbers",
            code="contact_not_found",
            details={"rule": index, "contact_id": rule.contact_id},
        )
    if numbers[rule.contact_id] != rule.method.value:
        # The number's channel is what was saved with it, not what this request says.
        raise Conflict(
            f"rule {index + 1}: that number is a {numbers[rule.contact_id]} number, "
            f"not {rule.method.value}",
            code="rule_channel_mismatch",
            details={"rule": index, "contact_id": rule.contact_id},
        )
