"""Who may change what of a member: a member manages their own ways and rules, an admin
anyone's; and a member's number is verified by that member and nobody else."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tocsin.accounts.models import Role
from tocsin.accounts.service import membership_role, person_of
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden, NotFound

# The server's own shell: whoever has it is trusted with the database already (cli/root.py).
SHELL = "cli"


def require_member(session: Session, *, org_id: str, user_id: str) -> Role:
    """The member's role; NotFound for anyone who is not a member of the organization (which is
    also the tenant check of a user id)."""
    role = membership_role(session, org_id, user_id)
    if role is None:
        raise NotFound("member not found", code="member_not_found")
    return role


def require_manager(session: Session, *, org_id: str, user_id: str, actor: Actor) -> None:
    """The member themself, an admin or owner, or an API key of the organization (which acts
    as its admins do, as for contacts); Forbidden for another plain member."""
    require_member(session, org_id=org_id, user_id=user_id)
    if actor.type != "user" or actor.id == user_id:
        return
    role = membership_role(session, org_id, actor.id or "")
    if role is None or role.rank < Role.ADMIN.rank:
        raise Forbidden(
            "a member changes only their own ways to be told; an admin may change anyone's",
            code="insufficient_role",
        )


def require_self(session: Session, *, org_id: str, user_id: str, actor: Actor) -> None:
    """Only the member themself (signed in, or through an API key they made) may verify their
    number: consent to be woken is the person's own, so an admin must not give it for them."""
    require_member(session, org_id=org_id, user_id=user_id)
    if actor.type == SHELL or person_of(session, actor) == user_id:
        return
    raise Forbidden(
        "only the member themself may verify their number", code="member_verifies_own_number"
    )
