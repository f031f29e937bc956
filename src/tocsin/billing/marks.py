"""Who a termination was about, so that they cannot begin again under a new organization.

A termination marks the owners of what it terminated (their user ids and normalised emails),
the numbers they verified, the cards they paid with, and every trial claim the organization
made: the same HMAC digests trial claims keep (billing/trials.py), so nothing is kept in
clear. While the termination stands (until an appeal is granted), a new organization by a
marked person or email is refused, and so is a marked number or card turning up elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.billing.models import TerminationMark, TrialClaim
from tocsin.billing.trials import Claim, ClaimKind, claim, claims_of
from tocsin.core.errors import Forbidden
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts
from tocsin.restrictions.kinds import ActionKind
from tocsin.restrictions.models import EnforcementAction

_MARKS = table_of(TerminationMark)


def person_claims(user_id: str, email: str, *, digest_key: bytes) -> list[Claim]:
    """What identifies a person: their user id and their normalised email."""
    return [
        claim(ClaimKind.OWNER, user_id, digest_key=digest_key),
        claim(ClaimKind.EMAIL, email, digest_key=digest_key),
    ]


def mark_organization(
    session: Session, *, org_id: str, action_id: str, digest_key: bytes, now: datetime
) -> int:
    """Mark the organization's owners, emails, numbers and cards, and its trial claims."""
    facts = {
        (found.kind.value, found.digest)
        for found in claims_of(session, org_id, digest_key=digest_key)
    }
    facts |= {
        (row.kind, row.digest)
        for row in session.execute(
            select(TrialClaim.kind, TrialClaim.digest).where(TrialClaim.trial_org_id == org_id)
        )
    }
    return _insert(session, action_id, facts, now)


def mark_user(
    session: Session, *, user_id: str, action_id: str, digest_key: bytes, now: datetime
) -> int:
    user = session.get(User, user_id)
    if user is None:
        return 0
    claims = person_claims(user.id, user.email, digest_key=digest_key)
    return _insert(session, action_id, {(claim.kind.value, claim.digest) for claim in claims}, now)


def _insert(session: Session, action_id: str, facts: set[tuple[str, str]], now: datetime) -> int:
    for kind, digest in sorted(facts):
        session.execute(
            insert_ignoring_conflicts(session, _MARKS, on=["action_id", "kind", "digest"]).values(
                action_id=action_id, kind=kind, digest=digest, created_at=now
            )
        )
    return len(facts)


def terminations_matching(session: Session, claims: Iterable[Claim]) -> dict[str, list[str]]:
    """For each kind of fact among `claims` that a standing termination marked, the ids of
    those terminations."""
    wanted = {(claim.kind.value, claim.digest) for claim in claims}
    if not wanted:
        return {}
    rows = session.execute(
        select(TerminationMark.kind, TerminationMark.digest, TerminationMark.action_id)
        .join(EnforcementAction, EnforcementAction.id == TerminationMark.action_id)
        .where(
            TerminationMark.digest.in_(sorted(digest for _, digest in wanted)),
            EnforcementAction.kind == ActionKind.TERMINATION.value,
            EnforcementAction.lifted_at.is_(None),
        )
        .order_by(TerminationMark.action_id)
    ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        if (row.kind, row.digest) in wanted and row.action_id not in found.get(row.kind, []):
            found.setdefault(row.kind, []).append(row.action_id)
    return found


class MarkedByTermination(Forbidden):
    """A person, email, number or card of a standing termination turned up again."""

    def __init__(self, what: str, matched: dict[str, list[str]]) -> None:
        kinds = sorted(matched)
        super().__init__(
            f"{what} is refused: the same {', '.join(kinds)} belongs to an account or "
            "organization that was terminated. Appeal the termination instead.",
            code="terminated_identity",
            details={
                "matched": kinds,
                "action_ids": sorted({a for ids in matched.values() for a in ids}),
            },
        )


def check_not_marked(session: Session, claims: Iterable[Claim], *, what: str) -> None:
    """MarkedByTermination if a standing termination marked any of `claims`."""
    matched = terminations_matching(session, claims)
    if matched:
        raise MarkedByTermination(what, matched)
